"""`domain.routing.RoutingPolicy`: warehouses preferred per channel, then those in the customer's region; and
channels whose orders wait for payment in full before they are allocated."""

from __future__ import annotations

from decimal import Decimal

from domain.routing import RoutingPolicy, route

REGIONS = {"W3": "eu-north", "W1": "eu-west", "W2": "eu-north", "W4": "us-east"}
POLICY = RoutingPolicy(
    preferred_by_channel={"amazon": ("W4", "W1"), "web": ()}, payment_first_channels=frozenset({"b2b"})
)


def test_the_channels_warehouses_come_first_in_their_order_then_the_regions_by_code() -> None:
    customer = {"id": "c1", "region": "eu-north"}
    assert POLICY.preferred_warehouses("amazon", customer, REGIONS) == ["W4", "W1", "W2", "W3"]


def test_a_warehouse_both_configured_and_in_the_region_is_listed_once() -> None:
    policy = RoutingPolicy(preferred_by_channel={"amazon": ("W3",)})
    assert policy.preferred_warehouses("amazon", {"region": "eu-north"}, REGIONS) == ["W3", "W2"]


def test_the_region_may_come_from_the_customers_address() -> None:
    customer = {"id": "c1", "address": {"city": "Oslo", "region": "eu-north"}}
    assert POLICY.preferred_warehouses("web", customer, REGIONS) == ["W2", "W3"]


def test_a_top_level_region_wins_over_the_address() -> None:
    customer = {"region": "us-east", "address": {"region": "eu-north"}}
    assert POLICY.preferred_warehouses("web", customer, REGIONS) == ["W4"]


def test_without_a_region_only_the_channels_warehouses_are_preferred() -> None:
    assert POLICY.preferred_warehouses("amazon", {"id": "c1"}, REGIONS) == ["W4", "W1"]
    assert POLICY.preferred_warehouses("amazon", {"address": "Main St 1"}, REGIONS) == ["W4", "W1"]
    assert POLICY.preferred_warehouses("ebay", {"region": "mars"}, REGIONS) == []


def test_an_empty_policy_prefers_only_the_customers_region() -> None:
    assert RoutingPolicy().preferred_warehouses("amazon", {"region": "eu-west"}, REGIONS) == ["W1"]


def test_the_routing_rule_takes_a_preferred_warehouse_over_one_that_covers_more() -> None:
    preferred = POLICY.preferred_warehouses("amazon", {}, {"W1": "eu-west", "W2": "eu-west"})
    routing = route({"A": 2}, {"W1": {"A": 1}, "W2": {"A": 5}}, preferred)
    assert preferred == ["W4", "W1"]  # W4 is configured but not offered here: it is simply not a candidate
    assert routing.allocations == {"A": {"W1": 1, "W2": 1}}


def test_a_payment_first_channel_waits_until_paid_in_full() -> None:
    total = Decimal("100.00")
    assert POLICY.waits_for_payment("b2b", Decimal("0"), total)
    assert POLICY.waits_for_payment("b2b", Decimal("99.99"), total)
    assert not POLICY.waits_for_payment("b2b", Decimal("100.00"), total)


def test_other_channels_never_wait_for_payment() -> None:
    assert not POLICY.waits_for_payment("web", Decimal("0"), Decimal("100.00"))
    assert not RoutingPolicy().waits_for_payment("b2b", Decimal("0"), Decimal("100.00"))

