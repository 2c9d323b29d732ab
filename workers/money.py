"""Money jobs: reconcile an imported payout (if the importing request did not finish it), and the scheduled
check that raises `unmatched_payment` for payments no settlement covers after the grace period."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from application.reactions import JobSpec
from domain.base import Actor, Meta
from infrastructure.jobs.ledger import Job
from infrastructure.money.reconcile import raise_unmatched_payments, reconcile
from infrastructure.settings import Settings
from workers.runtime import Runtime

RECONCILER = Actor(id="reconciliation", role="system", kind="worker")


def _meta(job: Job) -> Meta:
    return Meta(actor=RECONCILER, correlation_id=job.correlation_id or f"job:{job.id}", causation_id=f"job:{job.id}")


def reconcile_settlement(runtime: Runtime, job: Job) -> dict[str, Any]:
    """Reconciling is idempotent: a payout already reconciled is left as it is."""
    container = runtime.container
    sid = UUID(job.payload["settlement_id"])
    result = reconcile(container.app, runtime.pool, container.settings, sid, job.cause_position, _meta(job))
    return {"position": result.position}


def check_unmatched_payments(runtime: Runtime, job: Job) -> dict[str, Any]:
    container = runtime.container
    return {"raised": raise_unmatched_payments(container.app, runtime.pool, container.settings, _meta(job))}


def unmatched_payment_jobs(settings: Settings) -> list[JobSpec]:
    """Periodic: one check per SHOPOPS_UNMATCHED_PAYMENT_CHECK_SECONDS window (the ledger's key dedupes it)."""
    window = int(time.time() // settings.shopops_unmatched_payment_check_seconds)
    return [JobSpec("unmatched_payments", f"window:{window}")]
