"""Read model `customer_profile`: each customer as seen in orders and tickets (contact data, activity)."""

from __future__ import annotations

import json
from typing import Any

from psycopg import Cursor

from domain.order import Order
from domain.ticket import Ticket
from infrastructure.readmodels.base import Projection

projection = Projection("customer_profile", ("customer_profile",))


@projection.on(Order.Created)
def ordered(cur: Cursor[Any], event: Any, position: int) -> None:
    """The newest order's contact data wins; fields an order leaves out keep their earlier value."""
    c = event.customer
    address = json.dumps(c["address"]) if c.get("address") is not None else None
    cur.execute(
        "INSERT INTO customer_profile AS p (id, name, email, phone, address, sealed, order_count, first_seen, "
        "last_seen, position) VALUES (%s, %s, %s, %s, %s, %s, 1, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
        "sealed = coalesce(EXCLUDED.sealed, p.sealed), "
        "name = coalesce(EXCLUDED.name, p.name), email = coalesce(EXCLUDED.email, p.email), "
        "phone = coalesce(EXCLUDED.phone, p.phone), address = coalesce(EXCLUDED.address, p.address), "
        "order_count = p.order_count + 1, last_seen = EXCLUDED.last_seen, position = EXCLUDED.position",
        (
            str(c.get("id", "")),
            c.get("name"),
            c.get("email"),
            c.get("phone"),
            address,
            c.get("sealed"),
            event.timestamp,
            event.timestamp,
            position,
        ),
    )


@projection.on(Ticket.Created)
def wrote_in(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "INSERT INTO customer_profile AS p (id, ticket_count, first_seen, last_seen, position) "
        "VALUES (%s, 1, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET ticket_count = p.ticket_count + 1, "
        "last_seen = EXCLUDED.last_seen, position = EXCLUDED.position",
        (event.customer_id, event.timestamp, event.timestamp, position),
    )


async def get_customer(db: Any, customer_id: str) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT * FROM customer_profile WHERE id = $1", customer_id)
    if row is None:
        return None
    address = row["address"]
    return {
        "sealed": row["sealed"],  # contact data sealed with the customer's key (the API unseals it)
        "id": row["id"],
        "name": row["name"],
        "email": row["email"],
        "phone": row["phone"],
        "address": json.loads(address) if isinstance(address, str) else address,
        "order_count": row["order_count"],
        "ticket_count": row["ticket_count"],
        "first_seen": row["first_seen"].isoformat(),
        "last_seen": row["last_seen"].isoformat(),
    }
