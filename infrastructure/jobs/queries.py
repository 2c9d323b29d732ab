"""Async (asyncpg) views of the job ledger for the API: operators' list and retry, readiness and metrics."""

from __future__ import annotations

from typing import Any

from infrastructure.jobs.ledger import RELAY_NAME
from infrastructure.readmodels.base import decode_cursor, next_cursor


def _job(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "key": row["key"],
        "status": row["status"],
        "attempts": row["attempts"],
        "max_attempts": row["max_attempts"],
        "last_error": row["last_error"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
        "done_at": row["done_at"].isoformat() if row["done_at"] else None,
    }


async def list_jobs(
    db: Any, *, status: str | None = None, kind: str | None = None, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first."""
    after = decode_cursor(cursor, 1)
    rows = await db.fetch(
        "SELECT * FROM jobs WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR kind = $2) "
        "AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
        status,
        kind,
        int(after[0]) if after else None,
        limit,
    )
    items = [_job(r) for r in rows]
    return items, next_cursor(items, limit, "id")


async def get_job(db: Any, job_id: int) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT * FROM jobs WHERE id = $1", job_id)
    return _job(row) if row else None


async def retry_job(db: Any, job_id: int) -> dict[str, Any] | None:
    """A parked job gets a fresh set of attempts; the relay's sweeper sends it on its next pass."""
    row = await db.fetchrow(
        "UPDATE jobs SET status = 'pending', attempts = 0, enqueued_at = NULL, updated_at = now() "
        "WHERE id = $1 AND status = 'parked' RETURNING *",
        job_id,
    )
    return _job(row) if row else None


async def job_stats(db: Any) -> dict[str, Any]:
    """Queue depth, parked jobs, the oldest open job's age, the most attempts on an open job, relay lag."""
    row = await db.fetchrow(
        "SELECT count(*) FILTER (WHERE status IN ('pending', 'running')) AS open, "
        "count(*) FILTER (WHERE status = 'parked') AS parked, "
        "coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status IN ('pending', 'running'))), 0) "
        "AS oldest_open_age_seconds, "
        "coalesce(max(attempts) FILTER (WHERE status IN ('pending', 'running')), 0) AS max_open_attempts FROM jobs"
    )
    relay = await db.fetchval(
        "SELECT coalesce((SELECT max(notification_id) FROM shopops_events), 0) - coalesce((SELECT notification_id "
        "FROM relay_tracking WHERE application_name = $1), 0)",
        RELAY_NAME,
    )
    return {
        "open": row["open"],
        "parked": row["parked"],
        "oldest_open_age_seconds": round(float(row["oldest_open_age_seconds"]), 3),
        "max_open_attempts": row["max_open_attempts"],
        "relay_lag": int(relay),
    }
