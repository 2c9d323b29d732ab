"""Alert commands and the evaluation use case: rules over facts decide, the Alert aggregates record.

Raising is idempotent (an open alert of the same kind and subject absorbs the new finding), so two
evaluators running at once, or a redelivered evaluation job, raise nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from application.base import Result, ShopOpsBase
from application.ports import AlertFacts
from domain.alert import Alert, alert_id
from domain.alerts import (
    AlertThresholds,
    Finding,
    forecast_findings,
    parked_findings,
    reconciliation_findings,
    sla_findings,
    spike_findings,
    stock_findings,
    sync_lag_findings,
)
from domain.base import Meta


class AlertCommands(ShopOpsBase):
    """Raise, acknowledge and resolve alerts."""

    def alert(self, aid: UUID) -> Alert:
        return self._load(aid, Alert, "alert")

    def raise_alert(self, finding: Finding, departments: list[str], meta: Meta) -> Result:
        def attempt() -> Result:
            existing = self._maybe(alert_id(finding.kind, finding.subject))
            alert = existing if isinstance(existing, Alert) else Alert.open(finding.kind, finding.subject, meta)
            alert.raise_(finding.severity, finding.inputs, departments, meta)
            return self._commit(alert, primary=alert, created=existing is None)

        return self._retrying(attempt)

    def acknowledge_alert(self, aid: UUID, note: str | None, meta: Meta) -> Result:
        return self._alert_command(aid, lambda alert: alert.acknowledge(note, meta))

    def resolve_alert(self, aid: UUID, note: str | None, meta: Meta) -> Result:
        return self._alert_command(aid, lambda alert: alert.resolve(note, meta))

    def clear_alert(self, kind: str, subject: str, meta: Meta) -> Result | None:
        """The condition cleared: resolve automatically (nothing when it is no longer open)."""
        existing = self._maybe(alert_id(kind, subject))
        if not isinstance(existing, Alert) or not existing.is_open:
            return None
        return self._alert_command(existing.id, lambda alert: _clear(alert, meta))

    def _alert_command(self, aid: UUID, change: Callable[[Alert], None]) -> Result:
        def attempt() -> Result:
            alert = self.alert(aid)
            change(alert)
            return self._commit(alert, primary=alert)

        result = self._retrying(attempt)
        return Result(result.aggregate, result.position or self.position())


def _clear(alert: Alert, meta: Meta) -> None:
    if alert.is_open:
        alert.resolve("condition cleared", meta, automatic=True)


def findings(facts: AlertFacts, thresholds: AlertThresholds) -> dict[str, list[Finding]]:
    """Every rule over its facts, by kind (a kind with no facts source yet evaluates to no findings)."""
    return {
        **_by_kind(stock_findings(facts.stock_levels()), ("low_stock", "stockout")),
        "order_spike": spike_findings(facts.order_hours(), thresholds),
        "sla_breach": sla_findings(facts.ticket_breaches()),
        "parked_job": parked_findings(facts.parked_jobs()),
        "forecast_degraded": forecast_findings(facts.forecast_accuracy(), thresholds),
        "reconciliation_exception": reconciliation_findings(facts.reconciliation_exceptions()),
        "channel_sync_lag": sync_lag_findings(facts.channel_lags(), thresholds),
    }


def _by_kind(found: list[Finding], kinds: tuple[str, ...]) -> dict[str, list[Finding]]:
    return {kind: [f for f in found if f.kind == kind] for kind in kinds}


def evaluate_alerts(
    app: AlertCommands,
    facts: AlertFacts,
    routes: Mapping[str, tuple[str, ...]],
    thresholds: AlertThresholds,
    meta: Meta,
) -> dict[str, Any]:
    """Raise what holds and is not open; resolve what is open and no longer holds. Returns what changed."""
    current = findings(facts, thresholds)
    raised, cleared = [], []
    for kind, found in current.items():
        for finding in found:
            result = app.raise_alert(finding, list(routes.get(kind, ())), meta)
            if result.position is not None:
                raised.append(f"{kind}:{finding.subject}")
    holding = {(f.kind, f.subject) for found in current.values() for f in found}
    for kind, subject in facts.open_alerts():
        if (kind, subject) not in holding and kind in current and app.clear_alert(kind, subject, meta):
            cleared.append(f"{kind}:{subject}")
    return {"raised": raised, "resolved": cleared}
