"""The forecast policy's weekly refreshes, computed once per simulation and shared by every policy that reads them.

A refresh on day t hands the forecaster the demand of the days before t only. Demand is the replayed history
(exogenous: it does not depend on stock or on any decision), so the answers depend on the scenario alone: they
are asked for all at once, before any policy walks, which lets the forecaster answer them side by side, and a
second forecast-driven policy costs no extra engine time.
"""

from __future__ import annotations

from collections.abc import Mapping

from application.simulation.ports import DemandForecaster, RefreshRequest, SeriesForecast
from application.simulation.scenario import Scenario, SimulationSettings

Forecasts = Mapping[int, Mapping[str, SeriesForecast]]  # refresh day index -> series -> forecast


def refresh_days(scenario: Scenario, settings: SimulationSettings) -> list[int]:
    """Day indexes of the refreshes: the window's first day and every `refresh_every_days` after it."""
    return list(range(scenario.warmup, scenario.length, settings.refresh_every_days))


def refresh_request(scenario: Scenario, settings: SimulationSettings, t: int) -> RefreshRequest:
    """Every series' history up to yesterday (at most `history_days`), for the refresh on day t."""
    since = max(t - settings.history_days, 0)
    histories = {
        s.series_id: [float(v) for v in s.demand[max(since, s.start) : t]] for s in scenario.series if t - s.start >= 1
    }
    return RefreshRequest(scenario.day(t - 1), histories, settings.protection_days)


def forecast_refreshes(scenario: Scenario, settings: SimulationSettings, forecaster: DemandForecaster) -> Forecasts:
    """Every refresh of the window, answered by the forecaster in one batch."""
    days = refresh_days(scenario, settings)
    answers = forecaster.forecast_many([refresh_request(scenario, settings, t) for t in days])
    return dict(zip(days, answers, strict=True))
