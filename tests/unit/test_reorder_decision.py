"""`domain.replenishment.reorder_decision`: reorder point = expected demand over lead time + review + safety
stock (alpha or service level), order up to one more review period, at least the minimum order quantity."""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import pytest

from domain.base import DomainError
from domain.replenishment import reorder_decision

POLICY: dict[str, Any] = {"safety_factor": "0.5", "lead_time_days": 5, "review_days": 2, "min_order_qty": 10}


def policy(**changes: Any) -> dict[str, Any]:
    return {**POLICY, **changes}


def test_alpha_safety_stock_is_a_share_of_the_expected_demand() -> None:
    decision = reorder_decision(POLICY, 4.0, available=3, inbound=0, demand_source="forecast:ets")
    assert (decision.protection_days, decision.expected_demand, decision.safety_stock) == (7, 28.0, 14.0)
    assert (decision.reorder_point, decision.target_position) == (42.0, 50.0)
    assert (decision.position, decision.quantity, decision.triggered) == (3, 47, True)
    assert (decision.safety_method, decision.demand_source, decision.z) == ("alpha", "forecast:ets", None)


def test_inbound_stock_counts_in_the_position_and_the_reorder_point_itself_does_not_trigger() -> None:
    at_point = reorder_decision(POLICY, 4.0, available=30, inbound=12)
    assert (at_point.position, at_point.quantity, at_point.triggered) == (42, 0, False)
    below = reorder_decision(POLICY, 4.0, available=30, inbound=11)
    assert (below.position, below.quantity) == (41, 10)


def test_a_small_shortfall_orders_at_least_the_minimum_order_quantity() -> None:
    assert reorder_decision(POLICY, 4.0, available=41, inbound=0).quantity == 10  # 9 short of the target
    assert reorder_decision(policy(min_order_qty=1), 4.0, available=41, inbound=0).quantity == 9


def test_the_quantity_rounds_up_to_whole_units() -> None:
    decision = reorder_decision(policy(min_order_qty=1), 1.3, available=0, inbound=0)
    assert decision.target_position == pytest.approx(1.3 * 7 * 1.5 + 1.3 * 2)
    assert decision.quantity == math.ceil(decision.target_position)


def test_the_service_level_method_uses_the_forecast_error_over_the_protection_period() -> None:
    decision = reorder_decision(policy(safety_method="service_level", service_level="0.95"), 4.0, 3, 0, error_sd=2.0)
    z = NormalDist().inv_cdf(0.95)
    assert decision.safety_method == "service_level"
    assert decision.z == pytest.approx(z) == pytest.approx(1.6449, abs=1e-4)
    assert decision.safety_stock == pytest.approx(z * 2.0 * math.sqrt(7))
    assert decision.reorder_point == pytest.approx(28 + z * 2.0 * math.sqrt(7))
    assert decision.quantity == math.ceil(decision.reorder_point + 8 - 3)
    assert decision.as_dict()["error_sd"] == 2.0


def test_a_higher_service_level_holds_more_safety_stock() -> None:
    low = reorder_decision(policy(safety_method="service_level", service_level="0.9"), 4.0, 3, 0, error_sd=2.0)
    high = reorder_decision(policy(safety_method="service_level", service_level="0.99"), 4.0, 3, 0, error_sd=2.0)
    assert low.safety_stock < high.safety_stock


def test_the_service_level_defaults_to_ninety_five_percent() -> None:
    decision = reorder_decision(policy(safety_method="service_level"), 4.0, 3, 0, error_sd=1.0)
    assert decision.z == pytest.approx(NormalDist().inv_cdf(0.95))


def test_without_a_forecast_error_the_service_level_method_falls_back_to_alpha_and_says_so() -> None:
    decision = reorder_decision(policy(safety_method="service_level"), 4.0, 3, 0, error_sd=None)
    assert decision.safety_method == "alpha (no forecast error yet)"
    assert (decision.safety_stock, decision.reorder_point, decision.z) == (14.0, 42.0, None)


def test_the_alpha_method_ignores_a_forecast_error() -> None:
    assert reorder_decision(POLICY, 4.0, 3, 0, error_sd=50.0).safety_stock == 14.0


@pytest.mark.parametrize("level", ["0.4", "1", "1.5"])
def test_a_service_level_outside_half_to_one_is_refused(level: str) -> None:
    with pytest.raises(DomainError, match="service_level"):
        reorder_decision(policy(safety_method="service_level", service_level=level), 4.0, 3, 0, error_sd=1.0)


def test_without_demand_nothing_is_reordered_unless_the_position_is_negative() -> None:
    assert not reorder_decision(POLICY, 0.0, available=0, inbound=0).triggered
    assert reorder_decision(POLICY, 0.0, available=-1, inbound=0).quantity == 10  # oversold: buy the minimum
