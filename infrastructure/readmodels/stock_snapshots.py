"""Read model `stock_snapshots` (`stock_daily` + `stock_cost`): closing on-hand and value per SKU × warehouse
per business day, with the day's receipts, shipments and their cost of goods.

A row exists for each day with a movement; the days between carry the previous row forward, so average
inventory over any period is a sum over rows. An event dated before later rows (a backfill) shifts those rows
too. Value is on-hand × the moving-average unit cost the stock events carry (`average_cost` on arrivals, `unit_cost`
on shipments: the money feature's cost model, not a second one); while no cost is known the value is NULL.
"""

from __future__ import annotations

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


# One movement as one statement: the running cost row moves (and returns the SKU, warehouse and average), the
# later days shift (a backdated movement), and the day's row is upserted from the previous closing; the
# value of every touched day is on-hand × the average. Nothing happens for a stock without a cost row.
MOVED = (
    "WITH c AS (UPDATE stock_cost SET on_hand = on_hand + %(units)s, "
    "unit_cost = CASE WHEN %(arrival)s THEN %(average)s::numeric ELSE unit_cost END, "
    "currency = CASE WHEN %(arrival)s THEN coalesce(%(currency)s, currency) ELSE currency END "
    "WHERE id = %(id)s RETURNING sku, warehouse, unit_cost), "
    "m AS (SELECT sku, warehouse, CASE WHEN %(arrival)s THEN %(average)s::numeric ELSE unit_cost END AS average "
    "FROM c), "
    "later AS (UPDATE stock_daily d SET on_hand = d.on_hand + %(units)s, value = (d.on_hand + %(units)s) * m.average "
    "FROM m WHERE d.sku = m.sku AND d.warehouse = m.warehouse AND d.day > %(day)s) "
    "INSERT INTO stock_daily AS d (sku, warehouse, day, on_hand, received, shipped, cogs, value) "
    "SELECT m.sku, m.warehouse, %(day)s, p.on_hand, %(received)s, %(shipped)s, "
    "%(shipped)s * coalesce(%(cost)s::numeric, m.average, 0), p.on_hand * m.average FROM m, LATERAL ("
    "SELECT coalesce((SELECT on_hand FROM stock_daily WHERE sku = m.sku AND warehouse = m.warehouse "
    "AND day < %(day)s ORDER BY day DESC LIMIT 1), 0) + %(units)s AS on_hand) p "
    "ON CONFLICT (sku, warehouse, day) DO UPDATE SET on_hand = d.on_hand + %(units)s, "
    "received = d.received + EXCLUDED.received, shipped = d.shipped + EXCLUDED.shipped, "
    "cogs = d.cogs + EXCLUDED.cogs, value = (d.on_hand + %(units)s) * (SELECT average FROM m)"
)


@on(*MOVES)
def moved(cur: Cursor[Any], event: Any, _position: int) -> None:
    units, received, shipped = MOVES[type(event)](event)
    average = getattr(event, "average_cost", None)  # the money feature's moving average after an arrival
    cur.execute(
        MOVED,
        {
            "id": event.originator_id,
            "units": units,
            "received": received,
            "shipped": shipped,
            "arrival": average is not None,
            "average": Decimal(average) if average is not None else None,
            "currency": getattr(event, "currency", None),
            "cost": _decimal(getattr(event, "unit_cost", None)),
            "day": business_time(event).date(),
        },
    )


def _decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))
