"""The simulation with the real forecasting engine, its refreshes answered by two processes side by side: the
answers equal those made one after another in this process, and changing demand after a day changes no
forecast and no decision before that day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from application.simulation.refresh import refresh_days, refresh_request
from application.simulation.scenario import Scenario, SeriesInput, SimulationSettings
from application.simulation.simulate import simulate
from infrastructure.forecasting.simulation_forecaster import EngineForecaster

WINDOW = 21  # three weekly refreshes
WARMUP = 30  # histories of 30-50 days: the engine's light path for short series (a fast test)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    rng = np.random.default_rng(13)
    t = np.arange(WARMUP + WINDOW)
    series = tuple(  # little opening stock: both policies order from the first days on
        SeriesInput(f"S{i}", tuple(int(v) for v in rng.poisson(6 + 3 * np.sin(t * 0.9 + i))), 0, Decimal(2), 10)
        for i in range(3)
    )
    return Scenario(date(2024, 1, 1), WINDOW, series)


def test_refreshes_answered_side_by_side_equal_those_answered_one_after_another(scenario: Scenario) -> None:
    settings = SimulationSettings()
    requests = [refresh_request(scenario, settings, t) for t in refresh_days(scenario, settings)]
    sequential = EngineForecaster(workers=1).forecast_many(requests)
    parallel = EngineForecaster(workers=2)
    assert parallel.forecast_many(requests) == sequential
    assert parallel.calls == len(requests) == 3
    assert all(set(answer) == {"S0", "S1", "S2"} for answer in sequential)


def test_changing_demand_after_a_day_changes_nothing_decided_before_it_with_the_engine(scenario: Scenario) -> None:
    cut = scenario.warmup + 10  # after the second refresh (window days 0 and 7), before the third (day 14)
    changed = replace(
        scenario,
        series=tuple(
            replace(s, demand=s.demand[:cut] + tuple(v * 4 + 9 for v in s.demand[cut:])) for s in scenario.series
        ),
    )
    runs = [
        simulate(s, SimulationSettings(), ["static", "forecast"], EngineForecaster(workers=2))
        for s in (scenario, changed)
    ]
    day = scenario.day(cut)
    for name in ("static", "forecast"):
        before, after = ([d for d in run.decisions[name] if d.day < day] for run in runs)
        assert before, name
        assert before == after, name
        rows = [[r for r in run.report["policies"][name]["daily"] if r["date"] < day.isoformat()] for run in runs]
        assert rows[0] == rows[1], name
    later = [[r for r in run.report["policies"]["forecast"]["daily"] if r["date"] >= day.isoformat()] for run in runs]
    assert later[0] != later[1]  # the change itself is seen from its day on
