"""Read model `sales_history`: daily units and revenue per SKU × warehouse × channel, from order events.

Demand is dated by the order's business time (when the channel took it) and first counted under warehouse
'' (not allocated); each allocation moves its units to the warehouse that reserved them. A cancelled order
takes its units back out, wherever they were counted. Returns are not subtracted: they are demand that
happened. `sales_order_lines` remembers each line's day, price and allocation so these moves are exact.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from psycopg import Cursor

from domain.order import Order
from infrastructure.readmodels.base import Projection, query

projection = Projection("sales_history", ("sales_daily", "sales_order_lines"))
on = projection.on

UNALLOCATED = ""


def business_day(event: Any) -> date:
    """The UTC day of the order's business time (the event's own time for events without meta)."""
    meta = getattr(event, "meta", None) or {}
    stamp = meta.get("business_time")
    moment = datetime.fromisoformat(stamp) if stamp else event.timestamp
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.date()


def _add(cur: Cursor[Any], line: dict[str, Any], warehouse: str, units: int) -> None:
    """Add (or with negative units, remove) units of one order line on its day in one warehouse."""
    price = Decimal(line["unit_price"])
    cur.execute(
        "INSERT INTO sales_daily AS s (sku, warehouse, channel, day, units, revenue, promo_units) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (sku, warehouse, channel, day) DO UPDATE SET "
        "units = s.units + EXCLUDED.units, revenue = s.revenue + EXCLUDED.revenue, "
        "promo_units = s.promo_units + EXCLUDED.promo_units",
        (
            line["sku"],
            warehouse,
            line["channel"],
            line["day"],
            units,
            price * units,
            units if line["promo"] else 0,
        ),
    )


def _lines(cur: Cursor[Any], order_id: Any) -> list[dict[str, Any]]:
    rows = query(
        cur,
        "SELECT sku, channel, day, quantity, unit_price, promo, allocated, cancelled FROM sales_order_lines "
        "WHERE order_id = %s",
        (order_id,),
    )
    names = ("sku", "channel", "day", "quantity", "unit_price", "promo", "allocated", "cancelled")
    return [dict(zip(names, row, strict=True)) for row in rows]


# Adding daily units from a set of moves `m(sku, warehouse, channel, day, units, revenue, promo_units)`
# (keys unique within the set).
ADD_MOVES = (
    "INSERT INTO sales_daily AS s (sku, warehouse, channel, day, units, revenue, promo_units) "
    "SELECT sku, warehouse, channel, day, units, revenue, promo_units FROM m "
    "ON CONFLICT (sku, warehouse, channel, day) DO UPDATE SET units = s.units + EXCLUDED.units, "
    "revenue = s.revenue + EXCLUDED.revenue, promo_units = s.promo_units + EXCLUDED.promo_units"
)


def _with_moves(ctes: str) -> str:
    return f"{ctes}{ADD_MOVES}"


# A placed order's lines remembered and their units counted as not yet allocated, in one statement.
PLACED = _with_moves(
    "WITH l AS (SELECT * FROM unnest(%(skus)s::text[], %(quantities)s::int[], %(prices)s::numeric[], "
    "%(promos)s::bool[]) AS l(sku, quantity, unit_price, promo)), "
    "kept AS (INSERT INTO sales_order_lines (order_id, sku, channel, day, quantity, unit_price, promo) "
    "SELECT %(id)s, sku, %(channel)s, %(day)s, quantity, unit_price, promo FROM l), "
    "m AS (SELECT sku, '' AS warehouse, %(channel)s AS channel, %(day)s::date AS day, quantity AS units, "
    "unit_price * quantity AS revenue, CASE WHEN promo THEN quantity ELSE 0 END AS promo_units FROM l) "
)
# An allocation moves each allocated line's units from '' to the warehouse and remembers where they went.
ALLOCATED = _with_moves(
    "WITH r AS (SELECT * FROM unnest(%(skus)s::text[], %(warehouses)s::text[], %(quantities)s::int[]) "
    "AS r(sku, warehouse, quantity)), "
    "l AS (SELECT l.sku, l.channel, l.day, l.unit_price, l.promo, r.warehouse, r.quantity FROM sales_order_lines l "
    "JOIN r ON r.sku = l.sku WHERE l.order_id = %(id)s AND NOT l.cancelled), "
    "kept AS (UPDATE sales_order_lines s SET allocated = s.allocated || (SELECT jsonb_object_agg(l.warehouse, "
    "coalesce((s.allocated ->> l.warehouse)::int, 0) + l.quantity) FROM l WHERE l.sku = s.sku) "
    "WHERE s.order_id = %(id)s AND s.sku IN (SELECT sku FROM l)), "
    "moved AS (SELECT sku, '' AS warehouse, channel, day, unit_price, promo, -quantity AS units FROM l "
    "UNION ALL SELECT sku, warehouse, channel, day, unit_price, promo, quantity FROM l), "
    "m AS (SELECT sku, warehouse, channel, day, sum(units) AS units, sum(unit_price * units) AS revenue, "
    "sum(CASE WHEN promo THEN units ELSE 0 END) AS promo_units FROM moved GROUP BY sku, warehouse, channel, day) "
)


@on(Order.Created)
def placed(cur: Cursor[Any], event: Any, _position: int) -> None:
    cur.execute(
        PLACED,
        {
            "id": event.originator_id,
            "channel": event.channel,
            "day": business_day(event),
            "skus": [raw["sku"] for raw in event.lines],
            "quantities": [int(raw["quantity"]) for raw in event.lines],
            "prices": [Decimal(raw["unit_price"]) for raw in event.lines],
            "promos": [bool(raw.get("promo", False)) for raw in event.lines],
        },
    )


@on(Order.Allocated)
def allocated(cur: Cursor[Any], event: Any, _position: int) -> None:
    if not event.allocations:
        return
    cur.execute(
        ALLOCATED,
        {
            "id": event.originator_id,
            "skus": [row["sku"] for row in event.allocations],
            "warehouses": [row["warehouse"] for row in event.allocations],
            "quantities": [int(row["quantity"]) for row in event.allocations],
        },
    )


@on(Order.Cancelled)
def cancelled(cur: Cursor[Any], event: Any, _position: int) -> None:
    """A cancelled order was not a sale: its units leave every warehouse they were counted in."""
    for line in _lines(cur, event.originator_id):
        if line["cancelled"]:
            continue
        counted = dict(line["allocated"])
        unallocated = int(line["quantity"]) - sum(counted.values())
        if unallocated > 0:
            _add(cur, line, UNALLOCATED, -unallocated)
        for warehouse, quantity in counted.items():
            _add(cur, line, warehouse, -int(quantity))
    cur.execute("UPDATE sales_order_lines SET cancelled = true WHERE order_id = %s", (event.originator_id,))
