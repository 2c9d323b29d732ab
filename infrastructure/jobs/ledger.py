"""The Postgres job ledger (D5): job rows written with the relay's tracking, claimed with leases by workers,
attempts counted here so a worker killed mid-job still counts; poison jobs are parked for operators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from application.reactions import JobSpec

RELAY_NAME = "shopops"


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    correlation_id: str | None
    cause_position: int


class JobLedger:
    """Operations on the `jobs` and `relay_tracking` tables."""

    def __init__(self, pool: ConnectionPool[Connection[Any]], lease_seconds: float = 60.0) -> None:
        self.pool = pool
        self.lease_seconds = lease_seconds

    # ---- relay side -------------------------------------------------------------------------------------

    def relay_position(self) -> int:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT notification_id FROM relay_tracking WHERE application_name = %s", (RELAY_NAME,)
            ).fetchone()
        return int(row[0]) if row else 0

    def record(self, position: int, specs: Sequence[tuple[int, str | None, JobSpec]]) -> list[int]:
        """Insert job rows and advance the relay position in ONE transaction; returns the new job ids.

        The tracking update refuses to move backwards, so a second relay racing on the same batch fails
        its transaction instead of writing the jobs twice.
        """
        with self.pool.connection() as conn, conn.transaction():
            moved = conn.execute(
                "INSERT INTO relay_tracking VALUES (%s, %s) ON CONFLICT (application_name) DO UPDATE "
                "SET notification_id = EXCLUDED.notification_id "
                "WHERE relay_tracking.notification_id < EXCLUDED.notification_id RETURNING 1",
                (RELAY_NAME, position),
            ).fetchone()
            if moved is None:
                raise RuntimeError(f"relay tracking is already at or past {position}")
            ids: list[int] = []
            for cause, correlation_id, spec in specs:
                row = conn.execute(
                    "INSERT INTO jobs (kind, key, payload, cause_position, correlation_id, enqueued_at) "
                    "VALUES (%s, %s, %s, %s, %s, now()) "
                    "ON CONFLICT (kind, cause_position, key) DO NOTHING RETURNING id",
                    (spec.kind, spec.key, Jsonb(spec.payload), cause, correlation_id),
                ).fetchone()
                if row:
                    ids.append(int(row[0]))
            return ids

    def schedule(self, specs: Sequence[JobSpec]) -> list[int]:
        """Jobs not caused by one event (periodic checks); the key makes each one happen once."""
        ids: list[int] = []
        with self.pool.connection() as conn, conn.transaction():
            for spec in specs:
                row = conn.execute(
                    "INSERT INTO jobs (kind, key, payload, cause_position, enqueued_at) VALUES (%s, %s, %s, 0, now()) "
                    "ON CONFLICT (kind, cause_position, key) DO NOTHING RETURNING id",
                    (spec.kind, spec.key, Jsonb(spec.payload)),
                ).fetchone()
                if row:
                    ids.append(int(row[0]))
        return ids

    def sweep(self, stale_seconds: float) -> tuple[list[int], list[int]]:
        """Park jobs that used up their attempts, and return (to re-enqueue, parked) ids.

        A job is re-enqueued when it is pending but its message may be lost (never sent, or sent longer
        ago than `stale_seconds`, e.g. Redis was wiped), or when a worker's lease on it expired.
        """
        with self.pool.connection() as conn, conn.transaction():
            parked = [
                int(r[0])
                for r in conn.execute(
                    "UPDATE jobs SET status = 'parked', updated_at = now(), "
                    "last_error = coalesce(last_error, 'worker lost the job (killed or timed out) ') "
                    "|| ' after ' || attempts || ' attempts' "
                    "WHERE status = 'running' AND lease_until < now() AND attempts >= max_attempts RETURNING id"
                ).fetchall()
            ]
            again = [
                int(r[0])
                for r in conn.execute(
                    "UPDATE jobs SET enqueued_at = now() WHERE id IN (SELECT id FROM jobs WHERE "
                    "(status = 'pending' AND (enqueued_at IS NULL OR enqueued_at < now() - make_interval(secs => %s))) "
                    "OR (status = 'running' AND lease_until < now()) ORDER BY id LIMIT 5000) RETURNING id",
                    (stale_seconds,),
                ).fetchall()
            ]
        return again, parked

    # ---- worker side ------------------------------------------------------------------------------------

    def claim(self, job_id: int) -> Job | None:
        """Take the job with a lease, counting the attempt first (a worker killed mid-job still counts).

        Returns None when the job is done, parked, or leased by another live worker (a duplicate message).
        """
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row: Any = cur.execute(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = now(), "
                "lease_until = now() + make_interval(secs => %s) WHERE id = %s AND attempts < max_attempts AND "
                "(status = 'pending' OR (status = 'running' AND lease_until < now())) "
                "RETURNING id, kind, payload, attempts, correlation_id, cause_position",
                (self.lease_seconds, job_id),
            ).fetchone()
        if row is None:
            return None
        return Job(
            row["id"], row["kind"], row["payload"], row["attempts"], row["correlation_id"], row["cause_position"]
        )

    def extend_lease(self, job_id: int) -> None:
        """A long job (a forecast batch) renews its lease so the sweeper does not hand it to another worker."""
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE jobs SET lease_until = now() + make_interval(secs => %s), updated_at = now() "
                "WHERE id = %s AND status = 'running'",
                (self.lease_seconds, job_id),
            )

    def complete(self, job: Job, result: dict[str, Any]) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE jobs SET status = 'done', result = %s, done_at = now(), updated_at = now(), "
                "lease_until = NULL WHERE id = %s AND status = 'running'",
                (Jsonb(result), job.id),
            )

    def fail(self, job: Job, error: str) -> bool:
        """Record a failed attempt; returns True when the job is parked (no attempts left)."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'parked' ELSE 'pending' END, "
                "last_error = %s, lease_until = NULL, enqueued_at = now(), updated_at = now() "
                "WHERE id = %s AND status = 'running' RETURNING status",
                (error[:2000], job.id),
            ).fetchone()
        return bool(row and row[0] == "parked")

    # ---- operators --------------------------------------------------------------------------------------

    def list_jobs(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                "SELECT id, kind, key, payload, status, attempts, max_attempts, last_error, created_at, "
                "updated_at, done_at FROM jobs WHERE (%s::text IS NULL OR status = %s) ORDER BY id DESC LIMIT %s",
                (status, status, limit),
            ).fetchall()
        return [dict(r) for r in rows]

    def retry_parked(self, job_ids: Sequence[int] | None = None) -> list[int]:
        """Give parked jobs a fresh set of attempts; returns the ids to enqueue."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "UPDATE jobs SET status = 'pending', attempts = 0, enqueued_at = now(), updated_at = now() "
                "WHERE status = 'parked' AND (%s::bigint[] IS NULL OR id = ANY(%s)) RETURNING id",
                (list(job_ids) if job_ids is not None else None,) * 2,
            ).fetchall()
        return [int(r[0]) for r in rows]

    def stats(self) -> dict[str, Any]:
        """Queue depth, parked count and the age of the oldest open job (for metrics and /health/ready)."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE status IN ('pending', 'running')), "
                "count(*) FILTER (WHERE status = 'parked'), "
                "coalesce(extract(epoch FROM now() - "
                "min(created_at) FILTER (WHERE status IN ('pending', 'running'))), 0), "
                "coalesce(max(attempts) FILTER (WHERE status IN ('pending', 'running')), 0) FROM jobs"
            ).fetchone()
        if row is None:  # an aggregate query always returns one row
            raise RuntimeError("job statistics query returned nothing")
        return {
            "open": int(row[0]),
            "parked": int(row[1]),
            "oldest_open_age_seconds": float(row[2]),
            "max_open_attempts": int(row[3]),
        }
