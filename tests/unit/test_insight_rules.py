"""Pure insight rules: alert findings over facts, routing, the Alert aggregate's dedup, and periods/deltas."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.alert import Alert
from domain.alerts import (
    DEFAULT_ROUTES,
    AlertThresholds,
    forecast_findings,
    routes,
    spike_findings,
    stock_findings,
    sync_lag_findings,
)
from domain.base import DomainError, InvalidTransitionError, Meta
from domain.insight import compared_period, delta_pct, deltas, period

POLICY = {"safety_factor": "0.5", "lead_time_days": 5, "review_days": 2, "min_order_qty": 10}


def stock(available: int, demand: float, policy: dict[str, object] | None = None) -> dict[str, object]:
    return {
        "sku": "A",
        "warehouse": "W1",
        "available": available,
        "on_hand": available,
        "inbound": 0,
        "daily_demand": demand,
        "policy": policy,
    }


def test_stock_rules_find_stockouts_and_stock_below_the_policys_safety_stock() -> None:
    assert [f.kind for f in stock_findings([stock(0, 1.0)])] == ["stockout"]
    assert stock_findings([stock(0, 0.0)]) == []  # nothing sold and no policy: not a stockout anyone needs
    # safety stock = 0.5 × 4/day × (5 + 2) days = 14
    [low] = stock_findings([stock(13, 4.0, POLICY)])
    assert (low.kind, low.subject, low.inputs["safety_stock"]) == ("low_stock", "A/W1", 14.0)
    assert stock_findings([stock(14, 4.0, POLICY)]) == []


def test_spike_forecast_and_sync_rules_fire_only_past_their_thresholds() -> None:
    limits = AlertThresholds(spike_min_units=5, mase_above=1.5, sync_lag_seconds=300)
    assert [f.subject for f in spike_findings([{"sku": "A", "units_last_hour": 6, "upper_95_daily": 48}], limits)] == [
        "A"
    ]
    assert spike_findings([{"sku": "A", "units_last_hour": 2, "upper_95_daily": 0}], limits) == []  # under the minimum
    worse = {"sku": "A", "warehouse": "", "mase": 2.0, "points": 7}
    assert [f.subject for f in forecast_findings([worse, {**worse, "points": 6}], limits)] == ["A/*"]
    assert [f.subject for f in sync_lag_findings([{"channel": "amazon", "lag_seconds": 301}], limits)] == ["amazon"]


def test_routes_merge_over_the_defaults_and_refuse_unknown_kinds() -> None:
    assert routes({"stockout": ["ops"]})["stockout"] == ("ops",)
    assert routes({}) == DEFAULT_ROUTES
    with pytest.raises(ValueError, match="unknown"):
        routes({"fire": ["ops"]})


def test_an_alert_has_one_open_occurrence_and_resolves_once() -> None:
    alert = Alert.open("stockout", "A/W1", Meta())
    assert alert.raise_("critical", {"available": 0}, ["ops"], Meta())
    assert not alert.raise_("critical", {"available": 0}, ["ops"], Meta())  # already open: absorbed
    alert.acknowledge("on it", Meta())
    alert.resolve(None, Meta(), automatic=True)
    with pytest.raises(InvalidTransitionError):
        alert.resolve(None, Meta())
    assert alert.raise_("critical", {}, ["ops"], Meta())
    assert alert.occurrence == 2
    with pytest.raises(DomainError):
        Alert.open("fire", "x", Meta())


def test_periods_compare_with_the_previous_span_and_the_same_days_a_year_earlier() -> None:
    march = period(date(2028, 3, 1), date(2028, 3, 16))
    previous = compared_period(march, "previous")
    assert (previous.start, previous.end) == (datetime(2028, 2, 15, tzinfo=UTC), datetime(2028, 3, 1, tzinfo=UTC))
    leap = compared_period(period(date(2028, 2, 29), date(2028, 3, 1)), "yoy")
    assert leap.start == datetime(2027, 2, 28, tzinfo=UTC)
    with pytest.raises(DomainError):
        period(date(2028, 3, 2), date(2028, 3, 1))


def test_deltas_are_relative_changes_with_the_figures_nesting() -> None:
    assert delta_pct(3, 4) == -25.0
    assert delta_pct(1, 0) is None
    now = {"orders": {"count": 3}, "sales": {"revenue": {"amount": "150.00", "currency": "EUR"}}}
    before = {"orders": {"count": 4}, "sales": {"revenue": {"amount": "100.00", "currency": "EUR"}}}
    assert deltas(now, before) == {"orders": {"count": -25.0}, "sales": {"revenue": 50.0}}


def test_alert_evaluation_is_scheduled_once_per_slot_and_can_be_turned_off() -> None:
    from infrastructure.settings import Settings  # noqa: PLC0415 - only this test needs the settings
    from workers.insight import alert_evaluation_jobs  # noqa: PLC0415

    [job] = alert_evaluation_jobs(Settings(shopops_alert_evaluate_seconds=30))
    assert job.kind == "alert_evaluate"
    assert alert_evaluation_jobs(Settings(shopops_alert_evaluate_seconds=0)) == []
