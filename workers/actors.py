"""The actors: one per queue (dispatch, tickets, reorder, outbound, forecasts), each with its own time limit,
all running a ledger job by id. Dramatiq's own retries are off; attempts live in Postgres."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import dramatiq

from infrastructure.jobs.broker import QUEUES, JobRef, Queue, job_message
from infrastructure.jobs.ledger import Job
from workers.broker import broker
from workers.channels import push_fulfilment, push_stock
from workers.dispatch import dispatch_order, fill_backorders
from workers.forecasts import forecast_batch, refresh_forecasts
from workers.holds import cancel_unpaid, expire_hold
from workers.insight import deliver, evaluate, notify
from workers.money import check_unmatched_payments, reconcile_settlement
from workers.reorder import reorder
from workers.runtime import Runtime, get_runtime
from workers.ticket_models import RETRAIN
from workers.tickets import assign_waiting, escalate, retrain_ticket_model, triage_ticket

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
    "alert_evaluate": evaluate,  # insight
    "alert_notify": notify,
    "alert_webhook": deliver,
    "reconcile": reconcile_settlement,  # money
    "unmatched_payments": check_unmatched_payments,  # money
    RETRAIN: retrain_ticket_model,
    # checkout holds, unpaid orders, channel pushes (issue 11)
    "hold_expire": expire_hold,
    "unpaid_cancel": cancel_unpaid,
    "channel_push": push_stock,
    "fulfilment_push": push_fulfilment,
}

RETRY_DELAY_MS = 1000


def _crash_worker(_runtime: Runtime, _job: Job) -> dict[str, Any]:
    """Fault injection for the crash tests: the process dies mid-job, as a segfault or OOM kill would."""
    import os  # noqa: PLC0415 - only the fault-injection path needs it

    os._exit(70)


def _hold_until_released(_runtime: Runtime, job: Job) -> dict[str, Any]:
    """Fault injection for the queue test: a long job that runs until its payload's seconds are over."""
    threading.Event().wait(float(job.payload.get("seconds", 30)))
    return {"held": True}


def install_fault_injection() -> None:
    """Test-only job kinds (`fault:crash`, `fault:hold[:queue]`), enabled by the settings' fault_injection."""
    HANDLERS["fault:crash"] = _crash_worker
    HANDLERS["fault:hold"] = _hold_until_released
    for queue in QUEUES:
        HANDLERS[f"fault:hold:{queue}"] = _hold_until_released


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
            delay = RETRY_DELAY_MS * 2 ** (job.attempts - 1)
            broker.enqueue(job_message(JobRef(job.id, job.kind)), delay=delay)
        return
    runtime.ledger.complete(job, result)


def _declare(queue: Queue) -> dramatiq.Actor[[int], None]:
    declare = dramatiq.actor(
        actor_name=queue.actor_name,
        queue_name=queue.name,
        priority=queue.priority,
        max_retries=0,
        time_limit=queue.time_limit_ms,
        broker=broker,
    )
    return declare(run_job)


ACTORS = {name: _declare(queue) for name, queue in QUEUES.items()}
