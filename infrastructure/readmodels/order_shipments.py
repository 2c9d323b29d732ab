"""Read model `order_shipments`: each shipment of an order (carrier, tracking number, date), the facts a reply
draft quotes to the customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor

from domain.order import Order
from infrastructure.readmodels.base import Projection

projection = Projection("order_shipments", ("order_shipments",))
on = projection.on


@on(Order.Shipped)
def shipped(cur: Cursor[Any], event: Any, position: int) -> None:
    business_time = (event.meta or {}).get("business_time")
    cur.execute(
        "INSERT INTO order_shipments (order_id, version, warehouse, carrier, tracking_number, shipped_at, position) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (order_id, version) DO NOTHING",
        (
            event.originator_id,
            event.originator_version,
            event.warehouse,
            event.carrier,
            event.tracking_number,
            datetime.fromisoformat(business_time) if business_time else event.timestamp,
            position,
        ),
    )


# ---- queries (asyncpg) ---------------------------------------------------------------------------------


async def order_facts(db: Any, order_id: UUID) -> dict[str, str | None] | None:
    """What a reply draft may tell the customer about an order: its status and its latest shipment."""
    row = await db.fetchrow(
        "SELECT o.external_id, o.status, s.carrier, s.tracking_number, s.shipped_at FROM order_summary o "
        "LEFT JOIN LATERAL (SELECT * FROM order_shipments WHERE order_id = o.id ORDER BY version DESC LIMIT 1) s "
        "ON true WHERE o.id = $1",
        order_id,
    )
    if row is None:
        return None
    return {
        "order": row["external_id"],
        "status": row["status"],
        "carrier": row["carrier"],
        "tracking_number": row["tracking_number"],
        "shipped_at": row["shipped_at"].date().isoformat() if row["shipped_at"] else None,
        "refund_status": None,  # orders record no refunds yet (returns are stock movements): not known
    }
