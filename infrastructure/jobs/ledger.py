"""The Postgres job ledger (D5): job rows written with the relay's tracking, claimed with leases by workers,
attempts counted here so a worker killed mid-job still counts; poison jobs are parked for operators.

Every statement is written once (`Statement`) and shared by the sync side (relay, workers, CLI: `JobLedger`)
and the async side (the API's operators' endpoints and readiness: the module-level coroutines)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from application.reactions import COALESCING_KINDS, JobSpec
from domain.base import Actor, Meta
from infrastructure.jobs.broker import JobRef
from infrastructure.readmodels.base import decode_cursor, next_cursor
from infrastructure.statements import Statement

RELAY_NAME = "shopops"


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    correlation_id: str | None
    cause_position: int

    def meta(self, actor: Actor) -> Meta:
        """The metadata of decisions this job makes: the job is their cause, and the correlation id follows
        the request that started the chain (or the job itself, for scheduled work)."""
        return Meta(actor=actor, correlation_id=self.correlation_id or f"job:{self.id}", causation_id=f"job:{self.id}")


RELAY_POSITION = Statement("SELECT notification_id FROM relay_tracking WHERE application_name = $1")
ADVANCE_RELAY = Statement(
    "INSERT INTO relay_tracking VALUES ($1, $2) ON CONFLICT (application_name) DO UPDATE "
    "SET notification_id = EXCLUDED.notification_id "
    "WHERE relay_tracking.notification_id < EXCLUDED.notification_id RETURNING 1"
)
INSERT_JOB = Statement(
    "INSERT INTO jobs (kind, key, payload, cause_position, correlation_id, enqueued_at) "
    "VALUES ($1, $2, $3, $4, $5, now()) "
    "ON CONFLICT (kind, cause_position, key) DO NOTHING RETURNING id"
)
COALESCE_JOB = Statement(
    "UPDATE jobs SET cause_position = $3, correlation_id = $4, updated_at = now() WHERE id = ("
    "SELECT id FROM jobs WHERE kind = $1 AND key = $2 AND status = 'pending' AND attempts = 0 "
    "ORDER BY id DESC LIMIT 1 FOR UPDATE) AND status = 'pending' AND cause_position < $3 RETURNING id"
)
PARK_ABANDONED = Statement(
    "UPDATE jobs SET status = 'parked', updated_at = now(), "
    "last_error = coalesce(last_error, 'worker lost the job (killed or timed out) ') "
    "|| ' after ' || attempts || ' attempts' "
    "WHERE status = 'running' AND lease_until < now() AND attempts >= max_attempts RETURNING id"
)
RESEND_LOST = Statement(
    "UPDATE jobs SET enqueued_at = now() WHERE id IN (SELECT id FROM jobs WHERE "
    "(status = 'pending' AND (enqueued_at IS NULL OR enqueued_at < now() - make_interval(secs => $1))) "
    "OR (status = 'running' AND lease_until < now()) ORDER BY id LIMIT 5000) RETURNING id, kind"
)
CLAIM = Statement(
    "UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = now(), "
    "lease_until = now() + make_interval(secs => $1) WHERE id = $2 AND attempts < max_attempts AND "
    "(status = 'pending' OR (status = 'running' AND lease_until < now())) "
    "RETURNING id, kind, payload, attempts, correlation_id, cause_position"
)
EXTEND_LEASE = Statement(
    "UPDATE jobs SET lease_until = now() + make_interval(secs => $1), updated_at = now() "
    "WHERE id = $2 AND status = 'running'"
)
COMPLETE = Statement(
    "UPDATE jobs SET status = 'done', result = $1, done_at = now(), updated_at = now(), "
    "lease_until = NULL WHERE id = $2 AND status = 'running'"
)
FAIL = Statement(
    "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'parked' ELSE 'pending' END, "
    "last_error = $1, lease_until = NULL, enqueued_at = now(), updated_at = now() "
    "WHERE id = $2 AND status = 'running' RETURNING status"
)
LIST_JOBS = Statement(
    "SELECT * FROM jobs WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR kind = $2) "
    "AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
)
GET_JOB = Statement("SELECT * FROM jobs WHERE id = $1")
# Retried jobs are left unsent (enqueued_at NULL), so the relay's next sweep sends them whoever retried them.
RETRY_PARKED = Statement(
    "UPDATE jobs SET status = 'pending', attempts = 0, enqueued_at = NULL, updated_at = now() "
    "WHERE status = 'parked' AND ($1::bigint[] IS NULL OR id = ANY($1)) RETURNING *"
)
JOB_STATS = Statement(
    "SELECT count(*) FILTER (WHERE status IN ('pending', 'running')) AS open, "
    "count(*) FILTER (WHERE status = 'parked') AS parked, "
    "coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status IN ('pending', 'running'))), 0) "
    "AS oldest_open_age_seconds, "
    "coalesce(max(attempts) FILTER (WHERE status IN ('pending', 'running')), 0) AS max_open_attempts, "
    "coalesce((SELECT max(notification_id) FROM shopops_events), 0) - coalesce((SELECT notification_id "
    "FROM relay_tracking WHERE application_name = $1), 0) AS relay_lag FROM jobs"
)


def job_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A job as operators see it (API and CLI alike)."""
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


def stats_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """Queue depth, parked jobs, the oldest open job's age, the most attempts on an open job, relay lag."""
    return {
        "open": int(row["open"]),
        "parked": int(row["parked"]),
        "oldest_open_age_seconds": round(float(row["oldest_open_age_seconds"]), 3),
        "max_open_attempts": int(row["max_open_attempts"]),
        "relay_lag": int(row["relay_lag"]),
    }


class JobLedger:
    """Operations on the `jobs` and `relay_tracking` tables for the relay, the workers and the CLI."""

    def __init__(self, pool: ConnectionPool[Connection[Any]], lease_seconds: float = 60.0) -> None:
        self.pool = pool
        self.lease_seconds = lease_seconds

    # ---- relay side -------------------------------------------------------------------------------------

    def relay_position(self) -> int:
        with self.pool.connection() as conn:
            return int(RELAY_POSITION.value(conn, RELAY_NAME) or 0)

    def record(self, position: int, specs: Sequence[tuple[int, str | None, JobSpec]]) -> list[JobRef]:
        """Insert job rows and advance the relay position in ONE transaction; returns the new jobs.

        The tracking update refuses to move backwards, so a second relay racing on the same batch fails
        its transaction instead of writing the jobs twice.
        """
        with self.pool.connection() as conn, conn.transaction():
            if ADVANCE_RELAY.value(conn, RELAY_NAME, position) is None:
                raise RuntimeError(f"relay tracking is already at or past {position}")
            jobs: list[JobRef] = []
            for cause, correlation_id, spec in specs:
                coalescing = spec.kind in COALESCING_KINDS
                if coalescing and COALESCE_JOB.value(conn, spec.kind, spec.key, cause, correlation_id):
                    continue  # a waiting job for the same key now answers this cause too (its message is out)
                job_id = INSERT_JOB.value(conn, spec.kind, spec.key, Jsonb(spec.payload), cause, correlation_id)
                if job_id is not None:
                    jobs.append(JobRef(job_id, spec.kind))
            return jobs

    def schedule(self, specs: Sequence[JobSpec]) -> list[JobRef]:
        """Jobs not caused by one event (periodic checks); the key makes each one happen once."""
        jobs: list[JobRef] = []
        with self.pool.connection() as conn, conn.transaction():
            for spec in specs:
                job_id = INSERT_JOB.value(conn, spec.kind, spec.key, Jsonb(spec.payload), 0, None)
                if job_id is not None:
                    jobs.append(JobRef(job_id, spec.kind))
        return jobs

    def sweep(self, stale_seconds: float) -> tuple[list[JobRef], list[int]]:
        """Park jobs that used up their attempts, and return (to re-enqueue, parked).

        A job is re-enqueued when it is pending but its message may be lost (never sent, or sent longer
        ago than `stale_seconds`, e.g. Redis was wiped), or when a worker's lease on it expired.
        """
        with self.pool.connection() as conn, conn.transaction():
            parked = [int(r["id"]) for r in PARK_ABANDONED.rows(conn)]
            again = [JobRef(r["id"], r["kind"]) for r in RESEND_LOST.rows(conn, stale_seconds)]
        return again, parked

    # ---- worker side ------------------------------------------------------------------------------------

    def claim(self, job_id: int) -> Job | None:
        """Take the job with a lease, counting the attempt first (a worker killed mid-job still counts).

        Returns None when the job is done, parked, or leased by another live worker (a duplicate message).
        """
        with self.pool.connection() as conn:
            row = CLAIM.row(conn, self.lease_seconds, job_id)
        if row is None:
            return None
        return Job(
            row["id"], row["kind"], row["payload"], row["attempts"], row["correlation_id"], row["cause_position"]
        )

    def extend_lease(self, job_id: int) -> None:
        """A long job (a forecast batch) renews its lease so the sweeper does not hand it to another worker."""
        with self.pool.connection() as conn:
            EXTEND_LEASE.run(conn, self.lease_seconds, job_id)

    def complete(self, job: Job, result: dict[str, Any]) -> None:
        with self.pool.connection() as conn:
            COMPLETE.run(conn, Jsonb(result), job.id)

    def fail(self, job: Job, error: str) -> bool:
        """Record a failed attempt; returns True when the job is parked (no attempts left)."""
        with self.pool.connection() as conn:
            return bool(FAIL.value(conn, error[:2000], job.id) == "parked")

    # ---- operators --------------------------------------------------------------------------------------

    def list_jobs(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        with self.pool.connection() as conn:
            return [job_view(r) for r in LIST_JOBS.rows(conn, status, None, None, limit)]

    def retry_parked(self, job_ids: Sequence[int] | None = None) -> list[int]:
        """Give parked jobs a fresh set of attempts; the relay's next sweep sends them."""
        with self.pool.connection() as conn:
            rows = RETRY_PARKED.rows(conn, list(job_ids) if job_ids is not None else None)
        return [int(r["id"]) for r in rows]

    def stats(self) -> dict[str, Any]:
        """Queue depth, parked count, the age of the oldest open job and the relay's lag."""
        with self.pool.connection() as conn:
            row = JOB_STATS.row(conn, RELAY_NAME)
        if row is None:  # an aggregate query always returns one row
            raise RuntimeError("job statistics query returned nothing")
        return stats_view(row)


# ---- the API's async views (asyncpg) ------------------------------------------------------------------


async def list_jobs(
    db: Any, *, status: str | None = None, kind: str | None = None, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first."""
    after = decode_cursor(cursor, 1)
    rows = await LIST_JOBS.fetch(db, status, kind, int(after[0]) if after else None, limit)
    items = [job_view(r) for r in rows]
    return items, next_cursor(items, limit, "id")


async def get_job(db: Any, job_id: int) -> dict[str, Any] | None:
    row = await GET_JOB.fetchrow(db, job_id)
    return job_view(row) if row else None


async def retry_job(db: Any, job_id: int) -> dict[str, Any] | None:
    """A parked job gets a fresh set of attempts; the relay's sweeper sends it on its next pass."""
    rows = await RETRY_PARKED.fetch(db, [job_id])
    return job_view(rows[0]) if rows else None


async def job_stats(db: Any) -> dict[str, Any]:
    return stats_view(await JOB_STATS.fetchrow(db, RELAY_NAME))
