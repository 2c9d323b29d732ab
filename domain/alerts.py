"""Alert rules: pure functions from facts (read-model rows passed in) to findings, plus routing to
departments. A rule returns every subject for which its condition holds now; the evaluator raises the
missing ones and resolves open alerts of that kind whose subject no longer appears (the condition cleared)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.alert import KINDS
from domain.replenishment import reorder_decision

DEFAULT_ROUTES: dict[str, tuple[str, ...]] = {
    "low_stock": ("ops", "warehouse"),
    "stockout": ("ops", "warehouse"),
    "order_spike": ("ops",),
    "sla_breach": ("support", "ops"),
    "parked_job": ("ops",),
    "reconciliation_exception": ("finance",),
    "forecast_degraded": ("ops",),
    "channel_sync_lag": ("ops",),
}


@dataclass(frozen=True)
class Finding:
    """A rule's condition holds for `subject`, with the figures it decided on."""

    kind: str
    subject: str
    severity: str
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertThresholds:
    """Settings of the rules (SHOPOPS_ALERT_* in the environment)."""

    spike_min_units: int = 5
    mase_above: float = 1.5
    mase_min_points: int = 7
    sync_lag_seconds: float = 300.0


def routes(given: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """SHOPOPS_ALERT_ROUTES ({kind: [role...]}) over the defaults; unknown kinds are refused."""
    unknown = set(given) - set(KINDS)
    if unknown:
        raise ValueError(f"SHOPOPS_ALERT_ROUTES names unknown alert kinds: {sorted(unknown)}")
    return {**DEFAULT_ROUTES, **{kind: tuple(roles) for kind, roles in given.items()}}


def stock_findings(levels: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """stockout: nothing available where there is demand or a policy; low_stock: available below the safety
    stock of the SKU × warehouse's reorder policy (same formula as reorder decisions)."""
    found: list[Finding] = []
    for row in levels:
        subject = f"{row['sku']}/{row['warehouse']}"
        available, demand = int(row["available"]), float(row["daily_demand"])
        inputs = {"sku": row["sku"], "warehouse": row["warehouse"], "available": available, "daily_demand": demand}
        if available <= 0 and (demand > 0 or row.get("policy")):
            found.append(Finding("stockout", subject, "critical", {**inputs, "on_hand": int(row["on_hand"])}))
            continue
        if not row.get("policy"):
            continue
        decision = reorder_decision(row["policy"], demand, available, int(row.get("inbound") or 0))
        if available < decision.safety_stock:
            found.append(Finding("low_stock", subject, "warning", {**inputs, "safety_stock": decision.safety_stock}))
    return found


def spike_findings(hours: Iterable[Mapping[str, Any]], thresholds: AlertThresholds) -> list[Finding]:
    """order_spike: units ordered of a SKU in the last hour above its forecast's 95% upper bound for the day
    spread over 24 hours (and at least `spike_min_units`)."""
    found = []
    for row in hours:
        bound = float(row["upper_95_daily"]) / 24
        units = int(row["units_last_hour"])
        if units >= thresholds.spike_min_units and units > bound:
            inputs = {"sku": row["sku"], "units_last_hour": units, "hourly_upper_95": round(bound, 4)}
            found.append(Finding("order_spike", str(row["sku"]), "warning", inputs))
    return found


def sla_findings(breaches: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """sla_breach: an open ticket past its first-response or resolution deadline."""
    return [Finding("sla_breach", f"{row['ticket_id']}:{row['breach']}", "warning", dict(row)) for row in breaches]


def parked_findings(jobs: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """parked_job: a job that used up its attempts and waits for a person."""
    return [Finding("parked_job", str(row["job_id"]), "critical", dict(row)) for row in jobs]


def forecast_findings(accuracy: Iterable[Mapping[str, Any]], thresholds: AlertThresholds) -> list[Finding]:
    """forecast_degraded: realised MASE over recent forecasts above the threshold, on enough points."""
    found = []
    for row in accuracy:
        mase, points = row.get("mase"), int(row.get("points") or 0)
        if mase is not None and points >= thresholds.mase_min_points and float(mase) > thresholds.mase_above:
            subject = f"{row['sku']}/{row['warehouse'] or '*'}"
            found.append(
                Finding("forecast_degraded", subject, "warning", {**dict(row), "threshold": thresholds.mase_above})
            )
    return found


def reconciliation_findings(exceptions: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """reconciliation_exception: an open settlement exception (fed once reconciliation exists)."""
    return [Finding("reconciliation_exception", str(row["id"]), "warning", dict(row)) for row in exceptions]


def sync_lag_findings(channels: Iterable[Mapping[str, Any]], thresholds: AlertThresholds) -> list[Finding]:
    """channel_sync_lag: a channel whose stock push lags more than `sync_lag_seconds` (fed once channels
    push stock)."""
    return [
        Finding("channel_sync_lag", str(row["channel"]), "warning", dict(row))
        for row in channels
        if float(row["lag_seconds"]) > thresholds.sync_lag_seconds
    ]
