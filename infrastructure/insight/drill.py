"""The records behind the KPIs (`?drill=1`): the period's orders, the stocked SKU × warehouse pairs with their
slow-mover test, and the tickets with their SLA outcome (each list capped)."""

from __future__ import annotations

from typing import Any

from infrastructure.insight import kpi_sql
from infrastructure.insight.binding import bind

LIMIT = 1000

ORDERS = (
    kpi_sql.ORDERS
    + """
SELECT o.id::text, o.channel, o.external_id, o.placed_at, o.allocated_at, o.fully_allocated_at, o.backordered_at,
       o.shipped_at, o.cancelled_at, (o.cancelled_at IS NULL OR o.cancelled_at >= :end) AS counted
FROM o ORDER BY o.placed_at, o.id LIMIT 1000
"""
)

TICKETS = """
SELECT id::text, channel, opened_at, first_response_at, resolved_at, first_response_due, resolution_due
FROM ticket_queue WHERE opened_at >= :start AND opened_at < :end AND (:channel::text IS NULL OR channel = :channel)
ORDER BY opened_at, id LIMIT 1000
"""


async def _rows(db: Any, sql: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    text, args = bind(sql, values)
    return [_plain(dict(r)) for r in await db.fetch(text, *args)]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (
            v.isoformat()
            if hasattr(v, "isoformat")
            else (str(v) if v is not None and not isinstance(v, bool | int | float | str) else v)
        )
        for k, v in row.items()
    }


async def drill(db: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "orders": await _rows(db, ORDERS, values),
        "stock": await _rows(db, kpi_sql.SLOW, values),
        "tickets": await _rows(db, TICKETS, values),
    }
