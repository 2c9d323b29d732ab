"""Read model `available_to_sell`: per channel and SKU, `max(0, floor(share × Σ available over the channel's
warehouses) − buffer)`, with `version` = the log position of its last change (so it only grows, and a rebuild
gives the same versions). It keeps its own copy of available per SKU × warehouse (`channel_stock`) and the
channels' settings (`channels`), so it never depends on another projection's progress."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor

from domain.channel import Channel
from domain.stock import Stock
from infrastructure.readmodels.base import Projection, query

projection = Projection("available_to_sell", ("channels", "channel_stock", "available_to_sell"))

# How each stock event changes `available = on_hand − reserved`.
AVAILABLE_DELTA: dict[type, Any] = {
    Stock.Received: lambda e: e.quantity,
    Stock.Adjusted: lambda e: e.delta,
    Stock.Reserved: lambda e: -e.quantity,
    Stock.Released: lambda e: e.quantity,
    Stock.Shipped: lambda e: -(e.quantity - e.from_reservation),
    Stock.Restocked: lambda e: e.quantity,
    Stock.TransferDispatched: lambda e: -e.quantity,
    Stock.TransferReceived: lambda e: e.quantity,
    Stock.HoldPlaced: lambda e: -e.quantity,
    Stock.HoldEnded: lambda e: e.quantity,
}

MOVE = "UPDATE channel_stock SET available = available + %(delta)s WHERE id = %(id)s"

# Recompute the channels' figures for SKUs; only a changed figure gets a new version.
RECOMPUTE = (
    "INSERT INTO available_to_sell (channel, sku, available_to_sell, version, changed_at) "
    "SELECT c.channel, k.sku, greatest(0, floor(c.share * coalesce(sum(s.available{moving}), 0))::int - c.buffer), "
    "%(position)s, %(at)s FROM channels c CROSS JOIN (SELECT DISTINCT sku FROM channel_stock WHERE {skus}) k "
    "LEFT JOIN channel_stock s ON s.sku = k.sku AND s.warehouse = ANY(c.warehouses) WHERE {channels} "
    "GROUP BY c.channel, c.share, c.buffer, k.sku "
    "ON CONFLICT (channel, sku) DO UPDATE SET available_to_sell = EXCLUDED.available_to_sell, "
    "version = EXCLUDED.version, changed_at = EXCLUDED.changed_at "
    "WHERE available_to_sell.available_to_sell <> EXCLUDED.available_to_sell"
)


@projection.on(Stock.Created)
def stock_opened(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "INSERT INTO channel_stock (id, sku, warehouse) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (event.originator_id, event.sku, event.warehouse),
    )
    _recompute_sku(cur, event.sku, event.warehouse, event, position)


@projection.on(*AVAILABLE_DELTA)
def stock_moved(cur: Cursor[Any], event: Any, position: int) -> None:
    """One statement: the stock's row moves and its SKU is recomputed, counting that row at its new figure
    (the statement's other parts see the rows as they were before it); nothing for a stock never seen open."""
    delta = AVAILABLE_DELTA[type(event)](event)
    if delta:
        sql = RECOMPUTE.format(
            skus="sku = (SELECT sku FROM channel_stock WHERE id = %(id)s)",
            channels="(SELECT warehouse FROM channel_stock WHERE id = %(id)s) = ANY(c.warehouses)",
            moving=" + CASE WHEN s.id = %(id)s THEN %(delta)s ELSE 0 END",
        )
        params = {"id": event.originator_id, "delta": delta, "position": position, "at": event.timestamp}
        cur.execute(f"WITH moved AS ({MOVE}) {sql}", params)


def _recompute_sku(cur: Cursor[Any], sku: str, warehouse: str, event: Any, position: int) -> None:
    sql = RECOMPUTE.format(skus="sku = %(sku)s", channels="%(warehouse)s = ANY(c.warehouses)", moving="")
    cur.execute(sql, {"sku": sku, "warehouse": warehouse, "position": position, "at": event.timestamp})


@projection.on(Channel.Created, Channel.Updated)
def channel_configured(cur: Cursor[Any], event: Any, position: int) -> None:
    code = getattr(event, "code", None)
    if code is None:
        rows = query(cur, "SELECT channel FROM channels WHERE id = %s", (event.originator_id,))
        code = rows[0][0] if rows else None
    cur.execute(
        "INSERT INTO channels (id, channel, name, warehouses, share, buffer, stock_url, fulfilment_url, version, "
        "position, updated_at) VALUES (%(id)s, %(code)s, %(name)s, %(warehouses)s, %(share)s, %(buffer)s, "
        "%(stock_url)s, %(fulfilment_url)s, %(version)s, %(position)s, %(at)s) ON CONFLICT (channel) DO UPDATE SET "
        "name = EXCLUDED.name, warehouses = EXCLUDED.warehouses, share = EXCLUDED.share, buffer = EXCLUDED.buffer, "
        "stock_url = EXCLUDED.stock_url, fulfilment_url = EXCLUDED.fulfilment_url, version = EXCLUDED.version, "
        "position = EXCLUDED.position, updated_at = EXCLUDED.updated_at",
        {
            "id": event.originator_id,
            "code": code,
            "name": event.name,
            "warehouses": list(event.warehouses),
            "share": event.share,
            "buffer": event.buffer,
            "stock_url": event.stock_url,
            "fulfilment_url": event.fulfilment_url,
            "version": event.originator_version,
            "position": position,
            "at": event.timestamp,
        },
    )
    sql = RECOMPUTE.format(skus="true", channels="c.channel = %(code)s", moving="")
    cur.execute(sql, {"code": code, "position": position, "at": event.timestamp})


# ---- queries (API, asyncpg) --------------------------------------------------------------------------------


async def get_channel(db: Any, code: str) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT * FROM channels WHERE channel = $1", code)
    if row is None:
        return None
    return {
        "channel": row["channel"],
        "name": row["name"],
        "warehouses": list(row["warehouses"]),
        "share": float(row["share"]),
        "buffer": row["buffer"],
        "stock_url": row["stock_url"],
        "fulfilment_url": row["fulfilment_url"],
        "version": row["version"],
        "position": row["position"],
    }


async def availability(db: Any, code: str, sku: str | None, limit: int, after: str | None) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT sku, available_to_sell, version FROM available_to_sell WHERE channel = $1 "
        "AND ($2::text IS NULL OR sku = $2) AND ($3::text IS NULL OR sku > $3) ORDER BY sku LIMIT $4",
        code,
        sku,
        after,
        limit,
    )
    return [dict(r) for r in rows]
