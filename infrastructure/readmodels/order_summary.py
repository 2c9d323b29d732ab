"""Read model `order_summary` (+ `order_summary_lines`): orders with their lines, allocation and fulfilment."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from psycopg import Cursor

from domain.costing import line_cost
from domain.order import Order, status_after_allocation, status_after_return, status_after_shipment
from infrastructure.readmodels.base import Pool, Projection, decode_cursor, money, next_cursor
from infrastructure.readmodels.business_time import business_time

projection = Projection("order_summary", ("order_summary_allocations", "order_summary_lines", "order_summary"))
on = projection.on


def _touch(cur: Cursor[Any], event: Any, position: int, status: str | None = None) -> None:
    cur.execute(
        "UPDATE order_summary SET version = %s, position = %s, updated_at = %s, status = coalesce(%s, status) "
        "WHERE id = %s",
        (event.originator_version, position, event.timestamp, status, event.originator_id),
    )


@on(Order.Created)
def placed(cur: Cursor[Any], event: Any, position: int) -> None:
    customer = event.customer
    cur.execute(
        "INSERT INTO order_summary (id, channel, external_id, status, customer_id, customer, currency, total, "
        "version, position, placed_at, updated_at) VALUES (%s, %s, %s, 'placed', %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            event.originator_id,
            event.channel,
            event.external_id,
            str(customer.get("id", "")),
            _json(customer),
            event.currency,
            Decimal(event.total),
            event.originator_version,
            position,
            business_time(event),
            event.timestamp,
        ),
    )
    cur.execute(  # insight: units of the order
        "UPDATE order_summary SET units = %s WHERE id = %s",
        (sum(int(line["quantity"]) for line in event.lines), event.originator_id),
    )
    for number, line in enumerate(event.lines):
        cur.execute(
            "INSERT INTO order_summary_lines (order_id, line_no, sku, quantity, unit_price) "
            "VALUES (%s, %s, %s, %s, %s)",
            (event.originator_id, number, line["sku"], line["quantity"], Decimal(line["unit_price"])),
        )


@on(Order.PaymentRecorded)
def paid(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute("UPDATE order_summary SET paid = paid + %s WHERE id = %s", (Decimal(event.amount), event.originator_id))
    _touch(cur, event, position)


@on(Order.Cancelled)
def cancelled(cur: Cursor[Any], event: Any, position: int) -> None:
    _stamp(cur, event, "cancelled_at")
    _touch(cur, event, position, "cancelled")


@on(Order.Delivered)
def delivered(cur: Cursor[Any], event: Any, position: int) -> None:
    _stamp(cur, event, "delivered_at")
    _touch(cur, event, position, "delivered")


@on(Order.Allocated)
def allocated(cur: Cursor[Any], event: Any, position: int) -> None:
    for row in event.allocations:
        cur.execute(
            "UPDATE order_summary_lines SET allocated = allocated || %s::jsonb WHERE order_id = %s AND sku = %s",
            (_json([{"warehouse": row["warehouse"], "quantity": row["quantity"]}]), event.originator_id, row["sku"]),
        )
    backordered = {row["sku"]: row["quantity"] for row in event.backordered}
    cur.execute("SELECT sku FROM order_summary_lines WHERE order_id = %s", (event.originator_id,))
    for (sku,) in cur.fetchall():
        cur.execute(
            "UPDATE order_summary_lines SET backordered = %s WHERE order_id = %s AND sku = %s",
            (backordered.get(sku, 0), event.originator_id, sku),
        )
    warehouses = sorted({row["warehouse"] for row in event.allocations})
    status = status_after_allocation(bool(backordered), _allocated_units(cur, event.originator_id))
    _add_warehouses(cur, event.originator_id, warehouses)
    _allocation_times(cur, event, status)
    _touch(cur, event, position, status)


@on(Order.Shipped)
def shipped(cur: Cursor[Any], event: Any, position: int) -> None:
    for line in event.lines:
        cogs = line_cost(line["quantity"], Decimal(line["unit_cost"])) if line.get("unit_cost") else Decimal(0)
        cur.execute(
            "UPDATE order_summary_lines SET shipped = shipped + %s, cogs = cogs + %s WHERE order_id = %s AND sku = %s",
            (line["quantity"], cogs, event.originator_id, line["sku"]),
        )
        cur.execute("UPDATE order_summary SET cogs = cogs + %s WHERE id = %s", (cogs, event.originator_id))
    cur.execute(
        "SELECT bool_and(shipped >= quantity) FROM order_summary_lines WHERE order_id = %s", (event.originator_id,)
    )
    row = cur.fetchone()
    _add_warehouses(cur, event.originator_id, [event.warehouse])
    _stamp(cur, event, "first_shipped_at")
    if row and row[0]:
        _stamp(cur, event, "shipped_at")
    _touch(cur, event, position, status_after_shipment(fully_shipped=bool(row and row[0])))


@on(Order.Returned)
def returned(cur: Cursor[Any], event: Any, position: int) -> None:
    for line in event.lines:
        cur.execute(
            "UPDATE order_summary_lines SET returned = returned + %s WHERE order_id = %s AND sku = %s",
            (line["quantity"], event.originator_id, line["sku"]),
        )
    cur.execute(
        "SELECT o.status, bool_and(l.returned >= l.shipped) FROM order_summary o "
        "JOIN order_summary_lines l ON l.order_id = o.id WHERE o.id = %s GROUP BY o.status",
        (event.originator_id,),
    )
    row = cur.fetchone()
    _touch(cur, event, position, status_after_return(row[0], fully_returned=bool(row[1])) if row else None)


# ---- lifecycle business times (insight) ----------------------------------------------------------------


def _stamp(cur: Cursor[Any], event: Any, column: str) -> None:
    """Set a lifecycle time once: the first event that reached it."""
    cur.execute(
        f"UPDATE order_summary SET {column} = coalesce({column}, %s) WHERE id = %s",  # noqa: S608 - fixed names
        (business_time(event), event.originator_id),
    )


def _allocation_times(cur: Cursor[Any], event: Any, status: str) -> None:
    for row in event.allocations:
        cur.execute(
            "INSERT INTO order_summary_allocations (order_id, sku, warehouse, quantity, allocated_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            (event.originator_id, row["sku"], row["warehouse"], row["quantity"], business_time(event)),
        )
    cur.execute(
        "UPDATE order_summary SET filled_24h = least(units, filled_24h + %s) "
        "WHERE id = %s AND %s <= placed_at + interval '24 hours'",
        (sum(int(row["quantity"]) for row in event.allocations), event.originator_id, business_time(event)),
    )
    if event.allocations:
        _stamp(cur, event, "allocated_at")
    if event.backordered:
        _stamp(cur, event, "backordered_at")
    if status == "allocated":
        _stamp(cur, event, "fully_allocated_at")


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
    cur.execute(
        "SELECT coalesce(sum((a->>'quantity')::int), 0) FROM order_summary_lines, jsonb_array_elements(allocated) a "
        "WHERE order_id = %s",
        (order_id,),
    )
    row = cur.fetchone()
    return int(row[0]) if row else 0


def _add_warehouses(cur: Cursor[Any], order_id: UUID, warehouses: Sequence[str]) -> None:
    cur.execute(
        "UPDATE order_summary SET warehouses = coalesce((SELECT array_agg(DISTINCT w ORDER BY w) FROM "
        "unnest(warehouses || %s::text[]) w), '{}') WHERE id = %s",
        (list(warehouses), order_id),
    )


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
