"""Read model `sales_history`: daily units and revenue per SKU × warehouse × channel, from order events.

Demand is dated by the order's business time (when the channel took it) and first counted under warehouse
'' (not allocated); each allocation moves its units to the warehouse that reserved them. A cancelled order
takes its units back out, wherever they were counted. Returns are not subtracted: they are demand that
happened. `sales_order_lines` remembers each line's day, price and allocation so these moves are exact.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from psycopg import Cursor

from domain.order import Order
from infrastructure.readmodels.base import Projection

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
    rows = cur.execute(
        "SELECT sku, channel, day, quantity, unit_price, promo, allocated, cancelled FROM sales_order_lines "
        "WHERE order_id = %s",
        (order_id,),
    ).fetchall()
    names = ("sku", "channel", "day", "quantity", "unit_price", "promo", "allocated", "cancelled")
    return [dict(zip(names, row, strict=True)) for row in rows]


@on(Order.Created)
def placed(cur: Cursor[Any], event: Any, _position: int) -> None:
    day = business_day(event)
    for raw in event.lines:
        line = {
            "sku": raw["sku"],
            "channel": event.channel,
            "day": day,
            "unit_price": raw["unit_price"],
            "promo": bool(raw.get("promo", False)),
        }
        cur.execute(
            "INSERT INTO sales_order_lines (order_id, sku, channel, day, quantity, unit_price, promo) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                event.originator_id,
                raw["sku"],
                event.channel,
                day,
                raw["quantity"],
                Decimal(raw["unit_price"]),
                line["promo"],
            ),
        )
        _add(cur, line, UNALLOCATED, int(raw["quantity"]))


@on(Order.Allocated)
def allocated(cur: Cursor[Any], event: Any, _position: int) -> None:
    if not event.allocations:
        return
    # The lines are read after the pipeline has flushed the statements before this one (psycopg syncs).
    lines = {line["sku"]: line for line in _lines(cur, event.originator_id)}
    for row in event.allocations:
        line = lines.get(row["sku"])
        if line is None or line["cancelled"]:
            continue
        quantity = int(row["quantity"])
        _add(cur, line, UNALLOCATED, -quantity)
        _add(cur, line, row["warehouse"], quantity)
        by_warehouse = dict(line["allocated"])
        by_warehouse[row["warehouse"]] = by_warehouse.get(row["warehouse"], 0) + quantity
        line["allocated"] = by_warehouse
        cur.execute(
            "UPDATE sales_order_lines SET allocated = %s WHERE order_id = %s AND sku = %s",
            (json.dumps(by_warehouse), event.originator_id, row["sku"]),
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
