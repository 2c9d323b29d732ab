"""Alert aggregate: one stream per (kind, subject), so at most one occurrence is open at a time (dedup by
construction). Raised with the inputs of the rule that fired, acknowledged and resolved by people, or resolved
by the system when the rule's condition clears; a resolved alert can be raised again (a new occurrence)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import DomainError, InvalidTransitionError, Meta, ShopAggregate, ShopCreated, ShopEvent, stable_id

KINDS = (
    "low_stock",
    "stockout",
    "order_spike",
    "sla_breach",
    "parked_job",
    "reconciliation_exception",
    "forecast_degraded",
    "channel_sync_lag",
)
SEVERITIES = ("info", "warning", "critical")
OPEN = frozenset({"open", "acknowledged"})


def alert_id(kind: str, subject: str) -> UUID:
    return stable_id("alert", kind, subject)


class Alert(ShopAggregate):
    """A condition someone should look at, routed to departments (roles)."""

    TOPIC = "shopops.alert"

    class Created(ShopCreated):
        TOPIC = "shopops.alert.created"
        kind: str
        subject: str

    class Raised(ShopEvent):
        """The rule fired; `inputs` are the figures it fired on."""

        TOPIC = "shopops.alert.raised"
        severity: str
        inputs: dict[str, Any]
        departments: list[str]

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "open"
            aggregate.severity = self.severity
            aggregate.inputs = self.inputs
            aggregate.departments = self.departments
            aggregate.raised_at = self.meta.get("business_time")
            aggregate.occurrence += 1

    class Acknowledged(ShopEvent):
        TOPIC = "shopops.alert.acknowledged"
        note: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "acknowledged"

    class Resolved(ShopEvent):
        """Resolved by a person (`automatic` false) or because the condition cleared (true)."""

        TOPIC = "shopops.alert.resolved"
        note: str | None
        automatic: bool
        inputs: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "resolved"

    def __init__(self, kind: str, subject: str) -> None:
        self.kind = kind
        self.subject = subject
        self.status = "new"
        self.severity = "warning"
        self.inputs: dict[str, Any] = {}
        self.departments: list[str] = []
        self.occurrence = 0
        self.raised_at: str | None = None

    @classmethod
    def open(cls, kind: str, subject: str, meta: Meta) -> Alert:
        if kind not in KINDS:
            raise DomainError(f"unknown alert kind {kind!r}")
        if not subject:
            raise DomainError("an alert needs a subject")
        return cls._create(cls.Created, id=alert_id(kind, subject), kind=kind, subject=subject, meta=meta.as_dict())

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def raise_(self, severity: str, inputs: dict[str, Any], departments: list[str], meta: Meta) -> bool:
        """Raise a new occurrence; False (nothing recorded) while one is already open."""
        if severity not in SEVERITIES:
            raise DomainError(f"unknown severity {severity!r}")
        if self.is_open:
            return False
        self.record(self.Raised, meta, severity=severity, inputs=inputs, departments=sorted(set(departments)))
        return True

    def acknowledge(self, note: str | None, meta: Meta) -> None:
        if self.status != "open":
            raise InvalidTransitionError(f"an alert that is {self.status} cannot be acknowledged")
        self.record(self.Acknowledged, meta, note=note)

    def resolve(
        self, note: str | None, meta: Meta, automatic: bool = False, inputs: dict[str, Any] | None = None
    ) -> None:
        if not self.is_open:
            raise InvalidTransitionError(f"an alert that is {self.status} cannot be resolved")
        self.record(self.Resolved, meta, note=note, automatic=automatic, inputs=inputs or {})
