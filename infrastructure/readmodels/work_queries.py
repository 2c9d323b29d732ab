"""Synchronous read-model queries the workers need: warehouses, the backorder queue, agents, waiting and
breached tickets. Workers re-check every decision on the aggregates; these only say where to look."""

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


def agent_codes(pool: Pool) -> list[str]:
    with pool.connection() as conn:
        return [r[0] for r in conn.execute("SELECT code FROM ticket_agents ORDER BY code").fetchall()]


def waiting_tickets(pool: Pool, limit: int = 200) -> list[str]:
    """Unassigned open tickets, most urgent first, then oldest first."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT id FROM ticket_queue WHERE status = 'open' AND assignee IS NULL ORDER BY "
            "array_position(ARRAY['urgent', 'high', 'normal', 'low'], priority), opened_at, id LIMIT %s",
            (limit,),
        ).fetchall()
    return [str(r[0]) for r in rows]


def recent_ticket_count(pool: Pool, customer_id: str, exclude: str, days: int = 7) -> int:
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT count(*) FROM ticket_queue WHERE customer_id = %s AND id <> %s::uuid "
            "AND opened_at > now() - make_interval(days => %s)",
            (customer_id, exclude, days),
        ).fetchone()
    return int(row[0]) if row else 0


def breached_tickets(pool: Pool, limit: int = 500) -> list[tuple[str, str]]:
    """(ticket id, breach kind) for open tickets past a due time, as the read model sees them."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT id, 'first_response' FROM ticket_queue WHERE status NOT IN ('resolved', 'closed') "
            "AND first_response_at IS NULL AND first_response_due < now() "
            "UNION ALL SELECT id, 'resolution' FROM ticket_queue WHERE status NOT IN ('resolved', 'closed', "
            "'waiting_customer') AND resolution_due < now() LIMIT %s",
            (limit,),
        ).fetchall()
    return [(str(r[0]), r[1]) for r in rows]
