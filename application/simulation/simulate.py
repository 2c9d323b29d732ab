"""The `simulate` use case: run each policy over the same scenario and assemble the report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from application.simulation.ledger import Decision
from application.simulation.ports import DemandForecaster
from application.simulation.refresh import forecast_refreshes
from application.simulation.report import daily_rows, policy_kpis, series_kpis
from application.simulation.scenario import POLICIES, Scenario, SimulationSettings
from application.simulation.walk import PolicyRun
from domain.base import DomainError

MODEL = "lost_sales"  # demand the stock cannot serve on its day is lost, not backordered


@dataclass(frozen=True)
class SimulationResult:
    """The report (JSON-ready) and, per policy, every decision taken (for audits and leakage checks)."""

    report: dict[str, Any]
    decisions: dict[str, list[Decision]]


def simulate(
    scenario: Scenario,
    settings: SimulationSettings,
    policies: Sequence[str],
    forecaster: DemandForecaster | None,
    progress: Callable[[str], None] | None = None,
) -> SimulationResult:
    """Replay the scenario once per policy. Each decision sees only the days before it (the forecast policy's
    refreshes get the history up to the day before), so the policies differ only in their rules. The weekly
    refreshes depend on demand alone, so they are asked for once, up front, and shared by the policies."""
    unknown = [name for name in policies if name not in POLICIES]
    if unknown or not policies:
        raise DomainError(f"unknown policy {', '.join(unknown) or '(none)'}; choose from {', '.join(POLICIES)}")
    if any(POLICIES[name].uses_forecast for name in policies) and forecaster is None:
        raise DomainError("the forecast policy needs a forecaster")
    forecasts = None
    if forecaster is not None and any(POLICIES[name].uses_forecast for name in policies):
        forecasts = forecast_refreshes(scenario, settings, forecaster)  # once, for every policy that reads them
    runs = {
        name: PolicyRun(POLICIES[name], scenario, settings, forecasts, progress).run()
        for name in dict.fromkeys(policies)
    }
    report = {
        "window": {
            "from": scenario.day(scenario.warmup).isoformat(),
            "to": scenario.day(scenario.length - 1).isoformat(),
            "days": scenario.window,
            "warmup_days": scenario.warmup,
            "series": len(scenario.series),
        },
        "assumptions": {"unfilled_demand": MODEL, "settings": settings.as_dict()},
        "policies": {name: _policy_report(run) for name, run in runs.items()},
    }
    return SimulationResult(report, {name: run.decisions for name, run in runs.items()})


def _policy_report(run: PolicyRun) -> dict[str, Any]:
    days = len(run.days)
    return {
        **policy_kpis(run.ledgers, run.days),
        "series": {ledger.series_id: series_kpis(ledger, days) for ledger in run.ledgers},
        "daily": daily_rows(run.days),
    }
