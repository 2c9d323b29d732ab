"""The push outbox in PostgreSQL (D11). What a channel should see is the `available_to_sell` read model;
what it was told is `channel_pushes`. A push takes every pending (channel, SKU) — the latest absolute value
and its version, so updates coalesce and versions only grow — under a per-channel advisory lock (one pusher
per channel at a time: a receiver never sees an older value after a newer one), paced by a rate-limit slot
shared by all workers (`channel_sync.next_slot`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

Pool = ConnectionPool[Connection[Any]]
LOCK_KEY = "hashtextextended('shopops.channel_push:' || %s, 0)"


@dataclass(frozen=True)
class Item:
    sku: str
    available_to_sell: int
    version: int
    changed_at: datetime


PENDING = (
    "FROM available_to_sell a JOIN channels c ON c.channel = a.channel "
    "LEFT JOIN channel_pushes p ON p.channel = a.channel AND p.sku = a.sku "
    "WHERE c.stock_url IS NOT NULL AND (p.pushed_version IS NULL OR a.version > p.pushed_version "
    "OR a.available_to_sell <> p.pushed_value)"
)


def pending_channels(pool: Pool, older_than_seconds: float = 0.0) -> list[str]:
    """Channels with a value their receiver has not acknowledged (changed more than `older_than` ago)."""
    with pool.connection() as conn:
        rows = conn.execute(
            f"SELECT DISTINCT a.channel {PENDING} AND a.changed_at <= now() - make_interval(secs => %s)",
            (older_than_seconds,),
        ).fetchall()
    return sorted(r[0] for r in rows)


def pending_versions(pool: Pool) -> list[tuple[str, int]]:
    """Each channel with pending values, and the newest pending version."""
    with pool.connection() as conn:
        rows = conn.execute(f"SELECT a.channel, max(a.version) {PENDING} GROUP BY a.channel ORDER BY 1").fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


def stock_url(conn: Connection[Any], channel: str) -> str | None:
    row = conn.execute("SELECT stock_url FROM channels WHERE channel = %s", (channel,)).fetchone()
    return row[0] if row else None


def pending_items(conn: Connection[Any], channel: str, low_stock: int, limit: int) -> list[Item]:
    """Pending items of one channel, the fast lane (zero and low stock) first, then oldest change first."""
    rows = conn.execute(
        f"SELECT a.sku, a.available_to_sell, a.version, a.changed_at {PENDING} AND a.channel = %s "
        "ORDER BY a.available_to_sell > %s, a.version LIMIT %s",
        (channel, low_stock, limit),
    ).fetchall()
    conn.commit()
    return [Item(*r) for r in rows]


@contextmanager
def channel_lock(pool: Pool, channel: str) -> Iterator[Connection[Any] | None]:
    """A session advisory lock naming the channel: None when another pusher holds it. Dies with the session,
    so a killed worker never leaves a channel locked."""
    with pool.connection() as conn:
        row = conn.execute(f"SELECT pg_try_advisory_lock({LOCK_KEY})", (channel,)).fetchone()
        conn.commit()
        if not row or not row[0]:
            yield None
            return
        try:
            yield conn
        finally:
            conn.rollback()
            conn.execute(f"SELECT pg_advisory_unlock({LOCK_KEY})", (channel,))
            conn.commit()


def take_slot(conn: Connection[Any], channel: str, rate: float) -> float:
    """Reserve the channel's next send slot (a token bucket of one, shared by every worker); returns the
    seconds to wait before sending."""
    row = conn.execute(
        "INSERT INTO channel_sync (channel, next_slot) VALUES (%(c)s, now() + make_interval(secs => %(i)s)) "
        "ON CONFLICT (channel) DO UPDATE SET next_slot = greatest(channel_sync.next_slot, now()) "
        "+ make_interval(secs => %(i)s) RETURNING extract(epoch FROM next_slot - now())::float8 - %(i)s",
        {"c": channel, "i": 1.0 / rate},
    ).fetchone()
    conn.commit()
    return max(0.0, float(row[0])) if row else 0.0


def mark_pushed(conn: Connection[Any], channel: str, items: Sequence[Item]) -> None:
    """The receiver took these values: record them (a version never moves back)."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO channel_pushes (channel, sku, pushed_value, pushed_version, pushed_at, lag_seconds) "
            "VALUES (%s, %s, %s, %s, now(), greatest(0, extract(epoch FROM now() - %s::timestamptz))) "
            "ON CONFLICT (channel, sku) DO UPDATE SET pushed_value = EXCLUDED.pushed_value, "
            "pushed_version = EXCLUDED.pushed_version, pushed_at = EXCLUDED.pushed_at, "
            "lag_seconds = EXCLUDED.lag_seconds WHERE channel_pushes.pushed_version <= EXCLUDED.pushed_version",
            [(channel, i.sku, i.available_to_sell, i.version, i.changed_at) for i in items],
        )
    conn.execute("UPDATE channel_sync SET last_pushed_at = now() WHERE channel = %s", (channel,))
    conn.commit()


def record_failure(conn: Connection[Any], channel: str, error: str) -> None:
    conn.execute(
        "INSERT INTO channel_sync (channel, failures, last_error, last_failure_at) VALUES (%s, 1, %s, now()) "
        "ON CONFLICT (channel) DO UPDATE SET failures = channel_sync.failures + 1, last_error = EXCLUDED.last_error, "
        "last_failure_at = now()",
        (channel, error[:2000]),
    )
    conn.commit()


def fulfilment_target(pool: Pool, channel: str) -> str | None:
    with pool.connection() as conn:
        row = conn.execute("SELECT fulfilment_url FROM channels WHERE channel = %s", (channel,)).fetchone()
    return row[0] if row else None


def fulfilment_sent(pool: Pool, order_id: str, shipment_version: int) -> bool:
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT 1 FROM channel_fulfilments WHERE order_id = %s AND shipment_version = %s",
            (order_id, shipment_version),
        ).fetchone()
    return row is not None


def mark_fulfilment_sent(pool: Pool, order_id: str, shipment_version: int, channel: str) -> None:
    with pool.connection() as conn:
        conn.execute(
            "INSERT INTO channel_fulfilments (order_id, shipment_version, channel) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (order_id, shipment_version, channel),
        )


def parked_fulfilments(pool: Pool, older_than_seconds: float) -> list[dict[str, Any]]:
    """Shipments whose fulfilment push used up its attempts and was never delivered (one payload each)."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT DISTINCT ON (j.payload->>'order_id', j.payload->>'shipment_version') j.payload FROM jobs j "
            "WHERE j.kind = 'fulfilment_push' AND j.status = 'parked' "
            "AND j.updated_at < now() - make_interval(secs => %s) "
            "AND NOT EXISTS (SELECT 1 FROM channel_fulfilments f WHERE f.order_id = j.payload->>'order_id' "
            "AND f.shipment_version = (j.payload->>'shipment_version')::bigint) "
            "AND NOT EXISTS (SELECT 1 FROM jobs o WHERE o.kind = 'fulfilment_push' AND o.status IN ('pending', "
            "'running') AND o.payload->>'order_id' = j.payload->>'order_id') LIMIT 500",
            (older_than_seconds,),
        ).fetchall()
    return [dict(r[0]) for r in rows]
