"""Alert jobs: evaluate every rule (scheduled), fan a change out to subscribed webhooks, and deliver one
signed POST per subscription (each its own ledger job: retried with back-off, parked after its attempts)."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from application.alerts import evaluate_alerts
from application.reactions import JobSpec
from domain.alerts import AlertThresholds, routes
from domain.base import Actor, Meta
from infrastructure.insight.alert_facts import PgAlertFacts
from infrastructure.insight.subscriptions import post_signed, subscribers, subscription
from infrastructure.jobs.ledger import Job
from infrastructure.settings import Settings
from workers.runtime import Runtime

WATCH = Actor(id="alerts", role="worker", kind="worker")


def thresholds(settings: Settings) -> AlertThresholds:
    return AlertThresholds(
        spike_min_units=settings.shopops_alert_spike_min_units,
        mase_above=settings.shopops_alert_mase_above,
        sync_lag_seconds=settings.shopops_alert_sync_lag_seconds,
    )


def alert_evaluation_jobs(settings: Settings) -> list[JobSpec]:
    """Periodic: one evaluation per time slot (the ledger's key makes each slot run once); 0 s: none."""
    if not settings.shopops_alert_evaluate_seconds:
        return []
    slot = int(time.time() // settings.shopops_alert_evaluate_seconds)
    return [JobSpec("alert_evaluate", str(slot))]


def evaluate(runtime: Runtime, job: Job) -> dict[str, Any]:
    settings = runtime.container.settings
    meta = Meta(actor=WATCH, correlation_id=job.correlation_id or f"job:{job.id}", causation_id=f"job:{job.id}")
    facts = PgAlertFacts(runtime.pool)
    return evaluate_alerts(
        runtime.container.app, facts, routes(settings.shopops_alert_routes), thresholds(settings), meta
    )


def notify(runtime: Runtime, job: Job) -> dict[str, Any]:
    """One delivery job per subscription that wants this alert's kind."""
    alert = runtime.container.app.get_aggregate(UUID(job.payload["alert_id"]), version=job.payload["version"])
    specs = [
        JobSpec(
            "alert_webhook",
            f"{sid}:{job.payload['alert_id']}:{job.payload['version']}",
            {**job.payload, "subscription": sid},
        )
        for sid in subscribers(runtime.pool, alert.kind)
    ]
    return {"deliveries": runtime.ledger.schedule(specs)}


def deliver(runtime: Runtime, job: Job) -> dict[str, Any]:
    target = subscription(runtime.pool, job.payload["subscription"])
    if target is None:
        return {"skipped": "subscription removed"}
    alert = runtime.container.app.get_aggregate(UUID(job.payload["alert_id"]), version=job.payload["version"])
    status = post_signed(target[0], target[1], alert_payload(alert))
    return {"status": status}


def alert_payload(alert: Any) -> dict[str, Any]:
    return {
        "id": str(alert.id),
        "kind": alert.kind,
        "severity": alert.severity,
        "subject": alert.subject,
        "status": alert.status,
        "raised_at": alert.raised_at,
        "inputs": alert.inputs,
        "departments": alert.departments,
        "version": alert.version,
    }
