"""Forecast refresh runs: the request (a `forecast_refresh` job), the run's progress as its batches finish,
and its status — each statement once, for the workers and CLI (psycopg) and the API (asyncpg)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from domain.base import DomainError
from infrastructure.statements import Statement

Pool = ConnectionPool[Connection[Any]]

KNOWN_SKUS = Statement("SELECT sku FROM product_catalog WHERE sku = ANY($1)")
INSERT_REFRESH = Statement(
    "INSERT INTO jobs (kind, key, payload, cause_position, correlation_id) "
    "VALUES ('forecast_refresh', $1 || ':' || gen_random_uuid(), $2, 0, $3) RETURNING id"
)
START_RUN = Statement(
    "INSERT INTO forecast_runs (job_id, trigger, requested_by, skus, horizon_days) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (job_id) DO NOTHING"
)
RUN_BATCHES = Statement(
    "UPDATE forecast_runs SET batches = $1, finished_at = CASE WHEN $1 = 0 THEN now() END WHERE job_id = $2"
)
FIRST_BATCH_DONE = Statement(
    "INSERT INTO forecast_run_batches (run_id, batch_job_id, series) VALUES ($1, $2, $3) "
    "ON CONFLICT (batch_job_id) DO NOTHING RETURNING 1"
)
COUNT_BATCH = Statement(
    "UPDATE forecast_runs SET batches_done = batches_done + 1, series = series + $1, "
    "finished_at = CASE WHEN batches_done + 1 >= batches THEN now() END WHERE job_id = $2"
)
REFRESH_RUN = Statement(
    "SELECT j.id, j.status AS job_status, j.last_error, j.created_at, r.trigger, r.requested_by, r.skus, "
    "r.horizon_days, r.batches, r.batches_done, r.series, r.finished_at, "
    "(SELECT count(*) FROM jobs b WHERE b.kind = 'forecast_batch' AND b.key LIKE j.id || ':%' "
    " AND b.status = 'parked')::int AS batches_parked "
    "FROM jobs j LEFT JOIN forecast_runs r ON r.job_id = j.id WHERE j.id = $1 AND j.kind = 'forecast_refresh'"
)


def _refresh_payload(skus: list[str] | None, trigger: str, requested_by: str) -> dict[str, Any]:
    return {"skus": sorted(set(skus)) if skus else None, "trigger": trigger, "requested_by": requested_by}


def _refuse_unknown(skus: list[str], known: set[str]) -> None:
    unknown = sorted(set(skus) - known)
    if unknown:
        raise DomainError(f"unknown SKU(s): {', '.join(unknown[:20])}")


def request_refresh(
    pool: Pool, skus: list[str] | None, requested_by: str, trigger: str = "cli", correlation_id: str | None = None
) -> int:
    """Write a refresh job (the relay's sweeper sends it within seconds); unknown SKUs are refused."""
    with pool.connection() as conn:
        if skus:
            _refuse_unknown(skus, {r["sku"] for r in KNOWN_SKUS.rows(conn, skus)})
        payload = Jsonb(_refresh_payload(skus, trigger, requested_by))
        return int(INSERT_REFRESH.value(conn, trigger, payload, correlation_id))


async def request_refresh_async(
    db: Any, skus: list[str] | None, requested_by: str, trigger: str = "api", correlation_id: str | None = None
) -> int:
    """`request_refresh` for the API."""
    if skus:
        _refuse_unknown(skus, {r["sku"] for r in await KNOWN_SKUS.fetch(db, skus)})
    payload = json.dumps(_refresh_payload(skus, trigger, requested_by))
    return int(await INSERT_REFRESH.fetchval(db, trigger, payload, correlation_id))


def start_run(pool: Pool, job_id: int, trigger: str, requested_by: str, skus: list[str] | None, horizon: int) -> None:
    with pool.connection() as conn:
        START_RUN.run(conn, job_id, trigger, requested_by, skus, horizon)


def run_batches(pool: Pool, job_id: int, batches: int) -> None:
    with pool.connection() as conn:
        RUN_BATCHES.run(conn, batches, job_id)


def batch_done(pool: Pool, run_id: int, batch_job_id: int, series: int) -> None:
    """Count a finished batch into its run, once: a batch redelivered after finishing adds nothing."""
    with pool.connection() as conn, conn.transaction():
        if FIRST_BATCH_DONE.value(conn, run_id, batch_job_id, series) is not None:
            COUNT_BATCH.run(conn, series, run_id)


def run_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A run as operators see it: status queued | starting | running | done | failed, and its progress."""
    if row["job_status"] == "parked" or row["batches_parked"]:
        status = "failed"
    elif row["finished_at"] is not None:
        status = "done"
    elif row["batches"] is None:
        status = "queued" if row["job_status"] == "pending" else "starting"
    else:
        status = "running"
    return {
        "job_id": row["id"],
        "status": status,
        "trigger": row["trigger"],
        "requested_by": row["requested_by"],
        "skus": row["skus"],
        "horizon_days": row["horizon_days"],
        "batches": row["batches"],
        "batches_done": row["batches_done"] or 0,
        "batches_failed": row["batches_parked"],
        "series": row["series"] or 0,
        "created_at": row["created_at"].isoformat(),
        "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None,
        "error": row["last_error"],
    }


def refresh_run(pool: Pool, job_id: int) -> dict[str, Any] | None:
    with pool.connection() as conn:
        row = REFRESH_RUN.row(conn, job_id)
    return run_view(row) if row else None


async def refresh_run_async(db: Any, job_id: int) -> dict[str, Any] | None:
    row = await REFRESH_RUN.fetchrow(db, job_id)
    return run_view(row) if row else None
