"""The one Dramatiq actor: run a ledger job by id. Dramatiq's own retries are off; attempts live in Postgres."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

import dramatiq

from infrastructure.jobs.broker import JOBS_QUEUE, RUN_JOB, job_message
from infrastructure.jobs.ledger import Job
from workers.broker import broker
from workers.channels import push_fulfilment, push_stock
from workers.dispatch import dispatch_order, fill_backorders
from workers.forecasts import forecast_batch, refresh_forecasts
from workers.holds import cancel_unpaid, expire_hold
from workers.reorder import reorder
from workers.runtime import Runtime, get_runtime
from workers.tickets import assign_waiting, escalate, triage_ticket

log = logging.getLogger("shopops.worker")

HANDLERS: dict[str, Callable[[Runtime, Job], dict[str, Any]]] = {
    "dispatch": dispatch_order,
    "fill_backorders": fill_backorders,
    "triage": triage_ticket,
    "assign_waiting": assign_waiting,
    "escalate": escalate,
    "reorder": reorder,
    "forecast_refresh": refresh_forecasts,
    "forecast_batch": forecast_batch,
    # checkout holds, unpaid orders, channel pushes (issue 11)
    "hold_expire": expire_hold,
    "unpaid_cancel": cancel_unpaid,
    "channel_push": push_stock,
    "fulfilment_push": push_fulfilment,
}

RETRY_DELAY_MS = 1000


def _crash_worker(_runtime: Runtime, _job: Job) -> dict[str, Any]:
    """Fault injection for the crash tests: the process dies mid-job, as a segfault or OOM kill would."""
    os._exit(70)


if os.environ.get("SHOPOPS_FAULT_INJECTION") == "1":
    HANDLERS["fault:crash"] = _crash_worker


@dramatiq.actor(actor_name=RUN_JOB, queue_name=JOBS_QUEUE, max_retries=0, time_limit=900_000, broker=broker)
def run_job(job_id: int) -> None:
    """Claim the job (a duplicate delivery finds it done or leased and does nothing), run it, record the outcome."""
    runtime = get_runtime()
    job = runtime.ledger.claim(job_id)
    if job is None:
        return
    handler = HANDLERS.get(job.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        result = handler(runtime, job)
    except Exception as error:  # every failure is recorded against the job, then retried or parked
        log.exception("job %s (%s) failed on attempt %s", job.id, job.kind, job.attempts)
        if not runtime.ledger.fail(job, f"{type(error).__name__}: {error}"):
            broker.enqueue(job_message(job.id), delay=RETRY_DELAY_MS * 2 ** (job.attempts - 1))
        return
    runtime.ledger.complete(job, result)
