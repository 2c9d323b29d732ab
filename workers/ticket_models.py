"""The ticket classifier in the workers: one model registry per process (always the latest recorded version),
and the daily retraining job that learns from the categories agents confirmed or corrected."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application.errors import NotFoundError
from application.reactions import JobSpec
from infrastructure.classification.registry import ModelRegistry
from infrastructure.settings import Settings
from workers.runtime import Runtime

RETRAIN = "ticket_model_retrain"

_lock = threading.Lock()
_registries: dict[int, ModelRegistry] = {}


def registry(runtime: Runtime, rules: Mapping[str, Any]) -> ModelRegistry:
    """The process's registry (one per runtime), built on first use with the triage rules in force."""
    with _lock:
        found = _registries.get(id(runtime))
        if found is None or found.pool is not runtime.pool:  # an id reused by a later runtime (tests)
            found = ModelRegistry(runtime.pool, lambda tid: _ticket_text(runtime, tid), rules)
            _registries[id(runtime)] = found
        return found


def _ticket_text(runtime: Runtime, ticket_id: str) -> tuple[str, str] | None:
    try:
        ticket = runtime.container.app.ticket(UUID(ticket_id))
    except NotFoundError:
        return None
    return ticket.subject, ticket.body


def scheduled_retrain(settings: Settings, now: datetime | None = None) -> list[JobSpec]:
    """Periodic check: one retraining per UTC day once the configured time has passed (the key makes it once)."""
    at = settings.ticket_retrain_time
    if at is None:
        return []
    now = now or datetime.now(UTC)
    if (now.hour, now.minute) < (at.hour, at.minute):
        return []
    return [JobSpec(RETRAIN, f"scheduled:{now.date().isoformat()}", {"trigger": "schedule"})]
