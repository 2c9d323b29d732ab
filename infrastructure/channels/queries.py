"""What operators and alerts read about channel sync: per channel what is pending, what was pushed, lag and
failures (`GET /channels/{channel}/sync`), and `channels_behind` for a `channel_sync_lag` alert rule."""

from __future__ import annotations

from typing import Any

from infrastructure.channels.outbox import PENDING, Pool


async def sync_view(db: Any, channel: str, limit: int = 500) -> dict[str, Any]:
    pending = await db.fetchval(f"SELECT count(*) {PENDING} AND a.channel = $1", channel)
    state = await db.fetchrow(
        "SELECT last_pushed_at, failures, last_error FROM channel_sync WHERE channel = $1", channel
    )
    p95 = await db.fetchval(
        "SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY lag_seconds) FROM channel_pushes WHERE channel = $1",
        channel,
    )
    rows = await db.fetch(
        "SELECT a.sku, a.available_to_sell, a.version, p.pushed_value, p.pushed_version, p.pushed_at "
        "FROM available_to_sell a LEFT JOIN channel_pushes p ON p.channel = a.channel AND p.sku = a.sku "
        "WHERE a.channel = $1 ORDER BY a.sku LIMIT $2",
        channel,
        limit,
    )
    return {
        "channel": channel,
        "pending": int(pending or 0),
        "last_pushed_at": state["last_pushed_at"].isoformat() if state and state["last_pushed_at"] else None,
        "lag_seconds_p95": round(float(p95), 3) if p95 is not None else None,
        "failures": int(state["failures"]) if state else 0,
        "last_error": state["last_error"] if state else None,
        "items": [
            {
                "sku": r["sku"],
                "pushed": r["pushed_value"],
                "current": r["available_to_sell"],
                "pushed_version": r["pushed_version"],
                "version": r["version"],
            }
            for r in rows
        ],
    }


def channels_behind(pool: Pool, seconds: float) -> list[dict[str, Any]]:
    """Channels whose receiver has not acknowledged a change for more than `seconds` (the `channel_sync_lag`
    alert's input): `[{channel, pending, behind_seconds, failures, last_error}]`, most behind first."""
    with pool.connection() as conn:
        rows = conn.execute(
            f"SELECT a.channel, count(*), extract(epoch FROM now() - min(a.changed_at))::float8 {PENDING} "  # noqa: S608
            "GROUP BY a.channel HAVING min(a.changed_at) < now() - make_interval(secs => %s) ORDER BY 3 DESC",
            (seconds,),
        ).fetchall()
        failures = dict(conn.execute("SELECT channel, failures FROM channel_sync").fetchall())
        errors = dict(conn.execute("SELECT channel, last_error FROM channel_sync").fetchall())
    return [
        {
            "channel": channel,
            "pending": int(count),
            "behind_seconds": round(float(behind), 3),
            "failures": int(failures.get(channel, 0)),
            "last_error": errors.get(channel),
        }
        for channel, count, behind in rows
    ]
