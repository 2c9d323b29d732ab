"""Read model `order_summary` (+ `order_summary_lines`): orders with their lines, allocation and fulfilment."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from psycopg import Cursor

from domain.costing import line_cost
from domain.order import Order, status_after_allocation, status_after_return, status_after_shipment
from infrastructure.readmodels.base import Pool, Projection, decode_cursor, money, next_cursor, query
from infrastructure.readmodels.business_time import business_time

projection = Projection("order_summary", ("order_summary_allocations", "order_summary_lines", "order_summary"))
on = projection.on


def _touch(cur: Cursor[Any], event: Any, position: int, status: str | None = None, stamp: str | None = None) -> None:
    """Version, position and time of the change, the status when it changes, and a lifecycle time (`stamp`,
    a fixed column name) set once: by the first event that reached it."""
    stamped = f"{stamp} = coalesce({stamp}, %s), " if stamp else ""
    cur.execute(
        f"UPDATE order_summary SET {stamped}version = %s, position = %s, updated_at = %s, "  # noqa: S608 - fixed names
        "status = coalesce(%s, status) WHERE id = %s",
        (
            *((business_time(event),) if stamp else ()),
            event.originator_version,
            position,
            event.timestamp,
            status,
            event.originator_id,
        ),
    )


# Placing writes the order and its lines in one statement (the lines' foreign key is checked at its end).
PLACED = (
    "WITH o AS (INSERT INTO order_summary (id, channel, external_id, status, customer_id, customer, currency, "
    "total, version, position, placed_at, updated_at, units) VALUES (%(id)s, %(channel)s, %(external_id)s, "
    "'placed', %(customer_id)s, %(customer)s, %(currency)s, %(total)s, %(version)s, %(position)s, %(placed_at)s, "
    "%(updated_at)s, %(units)s)) "
    "INSERT INTO order_summary_lines (order_id, line_no, sku, quantity, unit_price) "
    "SELECT %(id)s, n - 1, sku, quantity, unit_price "
    "FROM unnest(%(skus)s::text[], %(quantities)s::int[], %(prices)s::numeric[]) WITH ORDINALITY AS l(sku, quantity, "
    "unit_price, n)"
)


@on(Order.Created)
def placed(cur: Cursor[Any], event: Any, position: int) -> None:
    customer = event.customer
    cur.execute(
        PLACED,
        {
            "id": event.originator_id,
            "channel": event.channel,
            "external_id": event.external_id,
            "customer_id": str(customer.get("id", "")),
            "customer": _json(customer),
            "currency": event.currency,
            "total": Decimal(event.total),
            "version": event.originator_version,
            "position": position,
            "placed_at": business_time(event),
            "updated_at": event.timestamp,
            "units": sum(int(line["quantity"]) for line in event.lines),  # insight: units of the order
            "skus": [line["sku"] for line in event.lines],
            "quantities": [line["quantity"] for line in event.lines],
            "prices": [Decimal(line["unit_price"]) for line in event.lines],
        },
    )


@on(Order.PaymentRecorded)
def paid(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "UPDATE order_summary SET paid = paid + %s, version = %s, position = %s, updated_at = %s WHERE id = %s",
        (Decimal(event.amount), event.originator_version, position, event.timestamp, event.originator_id),
    )


@on(Order.Cancelled)
def cancelled(cur: Cursor[Any], event: Any, position: int) -> None:
    _touch(cur, event, position, "cancelled", stamp="cancelled_at")


@on(Order.Delivered)
def delivered(cur: Cursor[Any], event: Any, position: int) -> None:
    _touch(cur, event, position, "delivered", stamp="delivered_at")


# An allocation as one statement: every line's allocations appended and backorder set, the allocation rows
# (insight) inserted, and the order's warehouses, 24 h fill, lifecycle times, status and version updated.
ALLOCATED = (
    "WITH l AS (UPDATE order_summary_lines SET allocated = allocated || coalesce(%(by_sku)s::jsonb -> sku, '[]'), "
    "backordered = coalesce((%(backordered)s::jsonb ->> sku)::int, 0) WHERE order_id = %(id)s), "
    "a AS (INSERT INTO order_summary_allocations (order_id, sku, warehouse, quantity, allocated_at) "
    "SELECT %(id)s, sku, warehouse, quantity, %(at)s FROM unnest(%(skus)s::text[], %(warehouses)s::text[], "
    "%(quantities)s::int[]) AS r(sku, warehouse, quantity)) "
    "UPDATE order_summary SET warehouses = coalesce((SELECT array_agg(DISTINCT w ORDER BY w) "
    "FROM unnest(warehouses || %(warehouses)s::text[]) w), '{}'), "
    "filled_24h = CASE WHEN %(at)s <= placed_at + interval '24 hours' "
    "THEN least(units, filled_24h + %(units)s) ELSE filled_24h END, "
    "allocated_at = CASE WHEN %(any_allocated)s THEN coalesce(allocated_at, %(at)s) ELSE allocated_at END, "
    "backordered_at = CASE WHEN %(any_backordered)s THEN coalesce(backordered_at, %(at)s) ELSE backordered_at END, "
    "fully_allocated_at = CASE WHEN %(status)s = 'allocated' THEN coalesce(fully_allocated_at, %(at)s) "
    "ELSE fully_allocated_at END, "
    "version = %(version)s, position = %(position)s, updated_at = %(updated_at)s, status = %(status)s WHERE id = %(id)s"
)


@on(Order.Allocated)
def allocated(cur: Cursor[Any], event: Any, position: int) -> None:
    by_sku: dict[str, list[dict[str, Any]]] = {}
    for row in event.allocations:
        by_sku.setdefault(row["sku"], []).append({"warehouse": row["warehouse"], "quantity": row["quantity"]})
    backordered = {row["sku"]: row["quantity"] for row in event.backordered}
    units = sum(int(row["quantity"]) for row in event.allocations)
    # allocated units so far: only read when this decision reserved nothing and something waits
    so_far = units if units or not backordered else _allocated_units(cur, event.originator_id)
    cur.execute(
        ALLOCATED,
        {
            "id": event.originator_id,
            "by_sku": _json(by_sku),
            "backordered": _json(backordered),
            "skus": [row["sku"] for row in event.allocations],
            "warehouses": [row["warehouse"] for row in event.allocations],
            "quantities": [row["quantity"] for row in event.allocations],
            "units": units,
            "at": business_time(event),
            "any_allocated": bool(event.allocations),
            "any_backordered": bool(event.backordered),
            "status": status_after_allocation(bool(backordered), so_far),
            "version": event.originator_version,
            "position": position,
            "updated_at": event.timestamp,
        },
    )


SHIPPED_LINES = (
    "WITH l AS (UPDATE order_summary_lines l SET shipped = l.shipped + s.quantity, cogs = l.cogs + s.cogs "
    "FROM unnest(%(skus)s::text[], %(quantities)s::int[], %(cogs)s::numeric[]) AS s(sku, quantity, cogs) "
    "WHERE l.order_id = %(id)s AND l.sku = s.sku) "
    "UPDATE order_summary SET cogs = cogs + %(total_cogs)s WHERE id = %(id)s"
)
# After the lines: fully shipped when every line is (a second statement, so it sees the lines just updated).
SHIPPED_ORDER = (
    "UPDATE order_summary o SET warehouses = coalesce((SELECT array_agg(DISTINCT w ORDER BY w) "
    "FROM unnest(o.warehouses || %(warehouses)s::text[]) w), '{}'), "
    "first_shipped_at = coalesce(o.first_shipped_at, %(at)s), "
    "shipped_at = CASE WHEN f.fully THEN coalesce(o.shipped_at, %(at)s) ELSE o.shipped_at END, "
    "status = CASE WHEN f.fully THEN %(if_fully)s ELSE %(if_partly)s END, "
    "version = %(version)s, position = %(position)s, updated_at = %(updated_at)s "
    "FROM (SELECT coalesce(bool_and(shipped >= quantity), false) AS fully FROM order_summary_lines "
    "WHERE order_id = %(id)s) f WHERE o.id = %(id)s"
)


@on(Order.Shipped)
def shipped(cur: Cursor[Any], event: Any, position: int) -> None:
    cogs = [
        line_cost(line["quantity"], Decimal(line["unit_cost"])) if line.get("unit_cost") else Decimal(0)
        for line in event.lines
    ]
    order = {"id": event.originator_id}
    cur.execute(
        SHIPPED_LINES,
        {
            **order,
            "skus": [line["sku"] for line in event.lines],
            "quantities": [line["quantity"] for line in event.lines],
            "cogs": cogs,
            "total_cogs": sum(cogs, Decimal(0)),
        },
    )
    cur.execute(
        SHIPPED_ORDER,
        {
            **order,
            "warehouses": [event.warehouse],
            "at": business_time(event),
            "if_fully": status_after_shipment(fully_shipped=True),
            "if_partly": status_after_shipment(fully_shipped=False),
            "version": event.originator_version,
            "position": position,
            "updated_at": event.timestamp,
        },
    )


@on(Order.Returned)
def returned(cur: Cursor[Any], event: Any, position: int) -> None:
    for line in event.lines:
        cur.execute(
            "UPDATE order_summary_lines SET returned = returned + %s WHERE order_id = %s AND sku = %s",
            (line["quantity"], event.originator_id, line["sku"]),
        )
    rows = query(
        cur,
        "SELECT o.status, bool_and(l.returned >= l.shipped) FROM order_summary o "
        "JOIN order_summary_lines l ON l.order_id = o.id WHERE o.id = %s GROUP BY o.status",
        (event.originator_id,),
    )
    row = rows[0] if rows else None
    _touch(cur, event, position, status_after_return(row[0], fully_returned=bool(row[1])) if row else None)


@on(Order.RefundApproved)
def refund_approved(cur: Cursor[Any], event: Any, position: int) -> None:
    """Money: an approved refund counts as refunded (margin = total − refunded − cogs)."""
    cur.execute(
        "UPDATE order_summary SET refunded = refunded + %s WHERE id = %s", (Decimal(event.amount), event.originator_id)
    )
    _touch(cur, event, position)


@on(Order.RefundRequested, Order.RefundRejected)
def refund_counted(cur: Cursor[Any], event: Any, position: int) -> None:
    _touch(cur, event, position)


def _allocated_units(cur: Cursor[Any], order_id: UUID) -> int:
    rows = query(
        cur,
        "SELECT coalesce(sum((a->>'quantity')::int), 0) FROM order_summary_lines, jsonb_array_elements(allocated) a "
        "WHERE order_id = %s",
        (order_id,),
    )
    return int(rows[0][0]) if rows else 0


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


# ---- queries (asyncpg) ---------------------------------------------------------------------------------

SELECT = (
    "SELECT o.*, coalesce((SELECT json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity, "
    "'unit_price', l.unit_price, 'allocated', l.allocated, 'backordered', l.backordered, 'shipped', l.shipped, "
    "'returned', l.returned, 'cogs', l.cogs) ORDER BY l.line_no) "
    "FROM order_summary_lines l WHERE l.order_id = o.id), '[]') AS lines "
    "FROM order_summary o"
)


def _view(row: asyncpg.Record) -> dict[str, Any]:
    currency = row["currency"]
    lines = json.loads(row["lines"]) if isinstance(row["lines"], str) else row["lines"]
    customer = json.loads(row["customer"]) if isinstance(row["customer"], str) else row["customer"]
    return {
        "id": str(row["id"]),
        "channel": row["channel"],
        "external_id": row["external_id"],
        "status": row["status"],
        "customer": customer,
        "lines": [
            {
                **line,
                "unit_price": money(Decimal(str(line["unit_price"])), currency),
                "cogs": money(Decimal(str(line["cogs"])), currency),
                "allocated": line["allocated"]
                if isinstance(line["allocated"], list)
                else json.loads(line["allocated"]),
            }
            for line in lines
        ],
        "total": money(row["total"], currency),
        "paid": money(row["paid"], currency),
        "refunded": money(row["refunded"], currency),
        "cogs": money(row["cogs"], currency),
        "margin": money(row["total"] - row["refunded"] - row["cogs"], currency),
        "warehouses": list(row["warehouses"]),
        "version": row["version"],
        "position": row["position"],
        "placed_at": row["placed_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


async def get_order(db: Any, order_id: UUID) -> dict[str, Any] | None:
    row = await db.fetchrow(f"{SELECT} WHERE o.id = $1", order_id)
    return _view(row) if row else None


async def list_orders(
    db: Any,
    *,
    status: str | None = None,
    channel: str | None = None,
    customer_id: str | None = None,
    warehouses: list[str] | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first (placed_at, id); warehouse users see orders not yet at any warehouse, or at theirs."""
    after = decode_cursor(cursor, 2)
    rows = await db.fetch(
        f"{SELECT} WHERE ($1::text IS NULL OR o.status = $1) AND ($2::text IS NULL OR o.channel = $2) "
        "AND ($3::text IS NULL OR o.customer_id = $3) "
        "AND ($4::text[] IS NULL OR o.warehouses = '{}' OR o.warehouses && $4::text[]) "
        "AND ($5::timestamptz IS NULL OR (o.placed_at, o.id) < ($5::timestamptz, $6::uuid)) "
        "ORDER BY o.placed_at DESC, o.id DESC LIMIT $7",
        status,
        channel,
        customer_id,
        warehouses,
        datetime.fromisoformat(after[0]) if after else None,
        UUID(after[1]) if after else None,
        limit,
    )
    items = [_view(r) for r in rows]
    return items, next_cursor(items, limit, "placed_at", "id")


# ---- for the workers (psycopg): where to look; every decision is re-checked on the aggregates ----


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
