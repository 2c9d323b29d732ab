"""Read model `holds`: every checkout hold with its status and expiry (the expiry sweep and lists read it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import Connection, Cursor
from psycopg_pool import ConnectionPool

from domain.hold import Hold
from infrastructure.readmodels.base import Projection

Pool = ConnectionPool[Connection[Any]]

projection = Projection("holds", ("holds",))


@projection.on(Hold.Created)
def placed(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "INSERT INTO holds (id, sku, warehouse, quantity, reference, status, expires_at, version, position, "
        "placed_at, updated_at) VALUES (%s, %s, %s, %s, %s, 'active', %s, %s, %s, %s, %s)",
        (
            event.originator_id,
            event.sku,
            event.warehouse,
            event.quantity,
            event.reference,
            datetime.fromisoformat(event.expires_at),
            event.originator_version,
            position,
            event.timestamp,
            event.timestamp,
        ),
    )


@projection.on(Hold.Extended)
def extended(cur: Cursor[Any], event: Any, position: int) -> None:
    _update(cur, event, position, "expires_at = %s", (datetime.fromisoformat(event.expires_at),))


@projection.on(Hold.Ended)
def ended(cur: Cursor[Any], event: Any, position: int) -> None:
    _update(cur, event, position, "status = %s, order_id = %s", (event.outcome, event.order_id))


def _update(cur: Cursor[Any], event: Any, position: int, assignments: str, params: tuple[Any, ...]) -> None:
    cur.execute(
        f"UPDATE holds SET {assignments}, version = %s, position = %s, updated_at = %s WHERE id = %s",  # noqa: S608
        (*params, event.originator_version, position, event.timestamp, event.originator_id),
    )


def holds_due(pool: Pool, within_seconds: float) -> list[tuple[str, datetime]]:
    """Active holds that expire within the next `within_seconds` (or are overdue), soonest first."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT id, expires_at FROM holds WHERE status = 'active' "
            "AND expires_at <= now() + make_interval(secs => %s) ORDER BY expires_at LIMIT 5000",
            (within_seconds,),
        ).fetchall()
    return [(str(r[0]), r[1]) for r in rows]
