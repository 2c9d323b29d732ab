"""Synchronous read-model queries the dispatch worker needs: candidate warehouses and the backorder queue."""

from __future__ import annotations

from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

Pool = ConnectionPool[Connection[Any]]


def warehouses(pool: Pool) -> dict[str, str]:
    """Every registered warehouse code with its region."""
    with pool.connection() as conn:
        return dict(conn.execute("SELECT code, region FROM warehouse_list ORDER BY code").fetchall())


def backordered_orders(pool: Pool, sku: str, limit: int = 200) -> list[str]:
    """Orders waiting for a SKU, first come first served (by the position they were placed at)."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT o.id FROM order_summary o JOIN order_summary_lines l ON l.order_id = o.id "
            "WHERE l.sku = %s AND l.backordered > 0 AND o.status IN ('partially_allocated', 'backordered') "
            "ORDER BY o.placed_at, o.id LIMIT %s",
            (sku, limit),
        ).fetchall()
    return [str(r[0]) for r in rows]


def projection_position(pool: Pool, projection: str) -> int:
    with pool.connection() as conn:
        row = conn.execute(
            f"SELECT notification_id FROM {projection}_tracking WHERE application_name = 'shopops'"  # noqa: S608 - fixed names
        ).fetchone()
    return int(row[0]) if row else 0
