"""The simulation use case on small panels with a fake forecaster: consistent reports and no look-ahead."""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from application.simulation.ports import RefreshRequest, SeriesForecast
from application.simulation.scenario import Scenario, SeriesInput, SimulationSettings
from application.simulation.simulate import simulate
from domain.base import DomainError

FIRST = date(2024, 1, 1)


class TrailingMeanForecaster:
    """A fake of the engine port: last 28 days' mean, with their spread as the error; records each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[date, dict[str, int]]] = []
        self.requests: list[RefreshRequest] = []

    def forecast_many(self, requests: Sequence[RefreshRequest]) -> list[Mapping[str, SeriesForecast]]:
        self.requests.extend(requests)
        return [self.forecast(r.histories, r.last_day, r.horizon) for r in requests]

    def forecast(
        self, histories: Mapping[str, Sequence[float]], last_day: date, horizon: int
    ) -> Mapping[str, SeriesForecast]:
        self.calls.append((last_day, {key: len(values) for key, values in histories.items()}))
        out = {}
        for key, values in histories.items():
            recent = list(values[-28:])
            mean = sum(recent) / len(recent)
            spread = (sum((v - mean) ** 2 for v in recent) / len(recent)) ** 0.5
            out[key] = SeriesForecast(tuple([mean] * horizon), spread, "trailing_mean")
        return out


def panel(seed: int = 3, length: int = 160, window: int = 100) -> Scenario:
    rng = random.Random(seed)
    series = [
        SeriesInput("fast", tuple(rng.randint(5, 25) for _ in range(length)), 0, Decimal("4.50")),
        SeriesInput("lumpy", tuple(rng.choice([0, 0, 0, 9]) for _ in range(length)), 0, Decimal("12.00"), 10),
        SeriesInput("dusty", tuple(int(rng.random() < 0.03) for _ in range(length)), 0, Decimal("7.25"), 400),
        SeriesInput("new", (0,) * 40 + tuple(rng.randint(0, 6) for _ in range(length - 40)), 40, Decimal(2)),
    ]
    return Scenario(FIRST, window, tuple(series))


def run(scenario: Scenario, settings: SimulationSettings | None = None) -> tuple[dict, dict]:  # type: ignore[type-arg]
    result = simulate(scenario, settings or SimulationSettings(), ["static", "forecast"], TrailingMeanForecaster())
    return result.report, result.decisions


def test_every_policy_and_series_serves_or_loses_each_unit_of_demand() -> None:
    report, _ = run(panel())
    for name, policy in report["policies"].items():
        assert policy["demand_units"] == policy["served_units"] + policy["lost_units"], name
        assert policy["demand_units"] == sum(s["demand_units"] for s in policy["series"].values())
        for key, series in policy["series"].items():
            assert series["demand_units"] == series["served_units"] + series["lost_units"], (name, key)
        assert sum(d["demand_units"] for d in policy["daily"]) == policy["demand_units"]
        assert sum(d["lost_units"] for d in policy["daily"]) == policy["lost_units"]
        assert sum(d["orders_placed"] for d in policy["daily"]) == policy["orders_placed"] > 0


def test_turnover_is_cogs_over_average_daily_inventory_value() -> None:
    report, _ = run(panel())
    for policy in report["policies"].values():
        average = sum(d["inventory_value"] for d in policy["daily"]) / len(policy["daily"])
        assert policy["average_inventory_value"] == pytest.approx(average, abs=0.01)
        assert policy["turnover"] == pytest.approx(policy["cogs"] / policy["average_inventory_value"], rel=1e-4)
        for series in policy["series"].values():
            if series["average_inventory_value"]:
                expected = series["cogs"] / series["average_inventory_value"]
                assert series["turnover"] == pytest.approx(expected, rel=1e-3)


def test_cogs_counts_served_and_cleared_units_at_their_cost() -> None:
    scenario = panel()
    report, _ = run(scenario)
    costs = {s.series_id: float(s.unit_cost) for s in scenario.series}
    for policy in report["policies"].values():
        for key, series in policy["series"].items():
            units = series["served_units"] + series["cleared_units"]
            assert series["cogs"] == pytest.approx(units * costs[key], abs=0.01)


def test_changing_demand_after_a_day_changes_no_decision_before_it() -> None:
    scenario = panel()
    cut = scenario.warmup + 45
    changed = Scenario(
        scenario.first_date,
        scenario.window,
        tuple(replace(s, demand=s.demand[:cut] + tuple(v * 3 + 7 for v in s.demand[cut:])) for s in scenario.series),
    )
    before, decisions = run(scenario)
    after, changed_decisions = run(changed)
    day = scenario.day(cut)
    for name in ("static", "forecast"):
        early = [d for d in decisions[name] if d.day < day]
        assert early, name
        assert early == [d for d in changed_decisions[name] if d.day < day]
        assert [d for d in decisions[name] if d.day >= day] != [d for d in changed_decisions[name] if d.day >= day]
        rows = [r for r in before["policies"][name]["daily"] if r["date"] < day.isoformat()]
        assert rows == [r for r in after["policies"][name]["daily"] if r["date"] < day.isoformat()]


def test_each_refresh_sees_only_the_days_before_it() -> None:
    scenario = panel()
    forecaster = TrailingMeanForecaster()
    simulate(scenario, SimulationSettings(), ["forecast"], forecaster)
    refresh_days = [scenario.day(scenario.warmup + 7 * k) for k in range(len(forecaster.calls))]
    assert len(forecaster.calls) == -(-scenario.window // 7)
    for (last_day, lengths), refresh in zip(forecaster.calls, refresh_days, strict=True):
        assert (refresh - last_day).days == 1
        assert lengths["fast"] == min((last_day - FIRST).days + 1, SimulationSettings().history_days)
        assert lengths["new"] == (last_day - FIRST).days + 1 - 40


def test_each_refresh_is_handed_exactly_the_demand_before_its_day() -> None:
    scenario = panel()
    forecaster = TrailingMeanForecaster()
    simulate(scenario, SimulationSettings(), ["forecast"], forecaster)
    for request in forecaster.requests:
        day = (request.last_day - FIRST).days + 1  # the refresh day's index: nothing from it on is handed over
        for series in scenario.series:
            since = max(day - SimulationSettings().history_days, series.start)
            assert request.histories[series.series_id] == [float(v) for v in series.demand[since:day]]


def test_the_policies_share_one_forecast_per_refresh_and_the_static_policy_asks_for_none() -> None:
    scenario = panel()
    refreshes = -(-scenario.window // 7)
    both = TrailingMeanForecaster()
    simulate(scenario, SimulationSettings(), ["static", "forecast"], both)
    assert len(both.requests) == refreshes
    alone = TrailingMeanForecaster()
    simulate(scenario, SimulationSettings(), ["forecast"], alone)
    assert alone.requests == both.requests  # the forecasts do not depend on which policies run
    static = TrailingMeanForecaster()
    simulate(scenario, SimulationSettings(), ["static"], static)
    assert static.requests == []


def test_overstock_is_cleared_only_by_the_forecast_policy() -> None:
    report, decisions = run(panel())
    assert report["policies"]["static"]["cleared_units"] == 0
    dusty = report["policies"]["forecast"]["series"]["dusty"]
    assert dusty["cleared_units"] > 0
    assert {d.series_id for d in decisions["forecast"] if d.kind == "clearance"} >= {"dusty"}


def test_a_series_has_at_most_one_open_replenishment() -> None:
    lead = 5
    _, decisions = run(panel(), SimulationSettings(lead_time_days=lead))
    for name in ("static", "forecast"):
        days: dict[str, list[date]] = {}
        for decision in decisions[name]:
            if decision.kind == "order":
                days.setdefault(decision.series_id, []).append(decision.day)
        for placed in days.values():
            assert all((b - a).days >= lead for a, b in itertools.pairwise(placed))


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(DomainError, match="unknown policy"):
        simulate(panel(), SimulationSettings(), ["static", "magic"], TrailingMeanForecaster())
