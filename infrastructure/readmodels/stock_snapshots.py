"""Read model `stock_snapshots` (`stock_daily` + `stock_cost`): closing on-hand and value per SKU × warehouse
per business day, with the day's receipts, shipments and their cost of goods.

A row exists for each day with a movement; the days between carry the previous row forward, so average
inventory over any period is a sum over rows. An event dated before later rows (a backfill) shifts those rows
too. Value is on-hand × the moving-average unit cost the stock events carry (`average_cost` on arrivals, `unit_cost`
on shipments: the money feature's cost model, not a second one); while no cost is known the value is NULL.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from psycopg import Cursor

from domain.stock import Stock
from infrastructure.readmodels.base import Projection
from infrastructure.readmodels.business_time import business_time

projection = Projection("stock_snapshots", ("stock_daily", "stock_cost"))
on = projection.on

# Each movement of on-hand as (units, counted as received, counted as shipped).
MOVES: dict[type, Any] = {
    Stock.Received: lambda e: (e.quantity, e.quantity, 0),
    Stock.Adjusted: lambda e: (e.delta, 0, 0),
    Stock.Shipped: lambda e: (-e.quantity, 0, e.quantity),
    Stock.Restocked: lambda e: (e.quantity, 0, 0),
    Stock.TransferDispatched: lambda e: (-e.quantity, 0, 0),
    Stock.TransferReceived: lambda e: (e.quantity, e.quantity, 0),
}


@on(Stock.Created)
def opened(cur: Cursor[Any], event: Any, _position: int) -> None:
    cur.execute(
        "INSERT INTO stock_cost (id, sku, warehouse) VALUES (%s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (event.originator_id, event.sku, event.warehouse),
    )


@on(*MOVES)
def moved(cur: Cursor[Any], event: Any, _position: int) -> None:
    row = cur.execute(
        "SELECT sku, warehouse, on_hand, unit_cost, currency FROM stock_cost WHERE id = %s", (event.originator_id,)
    ).fetchone()
    if row is None:
        return
    sku, warehouse, _on_hand, average, currency = row
    units, received, shipped = MOVES[type(event)](event)
    if getattr(event, "average_cost", None) is not None:  # the money feature's moving average after an arrival
        average, currency = Decimal(event.average_cost), getattr(event, "currency", None) or currency
    cost = _decimal(getattr(event, "unit_cost", None))
    cogs = shipped * (cost if cost is not None else (average or Decimal(0)))
    cur.execute(
        "UPDATE stock_cost SET on_hand = on_hand + %s, unit_cost = %s, currency = %s WHERE id = %s",
        (units, average, currency, event.originator_id),
    )
    _record_day(cur, (sku, warehouse, business_time(event).date()), units, received, shipped, cogs, average)


def _record_day(
    cur: Cursor[Any],
    key: tuple[str, str, date],
    units: int,
    received: int,
    shipped: int,
    cogs: Decimal,
    average: Decimal | None,
) -> None:
    """Upsert the day's row from the previous closing, then shift later rows (a backdated movement)."""
    sku, warehouse, day = key
    cur.execute(
        "INSERT INTO stock_daily AS d (sku, warehouse, day, on_hand, received, shipped, cogs) "
        "SELECT %s, %s, %s, coalesce((SELECT on_hand FROM stock_daily WHERE sku = %s AND warehouse = %s "
        "AND day < %s ORDER BY day DESC LIMIT 1), 0) + %s, %s, %s, %s "
        "ON CONFLICT (sku, warehouse, day) DO UPDATE SET on_hand = d.on_hand + %s, "
        "received = d.received + EXCLUDED.received, shipped = d.shipped + EXCLUDED.shipped, "
        "cogs = d.cogs + EXCLUDED.cogs",
        (sku, warehouse, day, sku, warehouse, day, units, received, shipped, cogs, units),
    )
    cur.execute(
        "UPDATE stock_daily SET on_hand = on_hand + %s WHERE sku = %s AND warehouse = %s AND day > %s",
        (units, sku, warehouse, day),
    )
    cur.execute(
        "UPDATE stock_daily SET value = on_hand * %s::numeric WHERE sku = %s AND warehouse = %s AND day >= %s",
        (average, sku, warehouse, day),
    )


def _decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))
