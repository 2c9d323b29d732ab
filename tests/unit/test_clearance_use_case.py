"""`application.clearance.clearance_suggestions` over an in-memory ClearanceQueries: demand from the latest
forecast else the window's average, per-category policies, filters, and the order of the suggestions."""

from __future__ import annotations

from datetime import date, timedelta

from application.clearance import clearance_suggestions
from application.ports import ClearanceCandidate
from domain.clearance import ClearancePolicies
from tests.unit.fakes import InMemoryClearanceQueries

TODAY = date(2026, 3, 1)
POLICIES = ClearancePolicies.from_config({"categories": {"fashion": {"window_days": 7, "beta": 1.0}}})


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def candidate(
    sku: str,
    warehouse: str,
    available: int,
    sold: dict[date, int] | None = None,
    category: str = "tools",
    forecast: tuple[float, int, str] | None = None,
) -> ClearanceCandidate:
    mean, forecast_id, model = forecast or (None, None, None)
    return ClearanceCandidate(sku, warehouse, category, available, sold or {}, mean, forecast_id, model)


CANDIDATES = [
    # years of cover at the forecast's 0.2 a day: 400 - 0.2 x 60 = 388 slow, half of it suggested
    candidate("A", "W1", 400, {ago(1): 1}, forecast=(0.2, 7, "ets")),
    # 3 a day over the 30-day window: 33 days of cover, 47% sell-through: not slow
    candidate("B", "W1", 100, {ago(d): 3 for d in range(30)}),
    # fashion looks back 7 days only: 2 sold there (the 10 sold 20 days ago do not count)
    candidate("C", "W2", 50, {ago(3): 2, ago(20): 10}, category="fashion"),
]


async def test_slow_movers_are_suggested_largest_first_with_their_reasons() -> None:
    queries = InMemoryClearanceQueries(CANDIDATES)
    suggestions = await clearance_suggestions(queries, POLICIES, TODAY)
    assert [(s["sku"], s["slow_qty"], s["suggested_qty"]) for s in suggestions] == [("A", 388, 194), ("C", 32, 32)]
    first = suggestions[0]
    assert first["inputs"]["demand_source"] == "forecast 7 (ets)"
    assert "2000 days of cover > 90" in first["reason"]
    assert suggestions[1]["inputs"]["demand_source"] == "7-day average"
    assert suggestions[1]["inputs"]["sold_in_window"] == 2.0


async def test_the_query_is_asked_for_the_longest_window_of_any_category() -> None:
    queries = InMemoryClearanceQueries(CANDIDATES)
    await clearance_suggestions(queries, POLICIES, TODAY, warehouses=["W1", "W2"], sku="A")
    assert queries.asked == [{"window_days": 30, "warehouses": ["W1", "W2"], "warehouse": None, "sku": "A"}]


async def test_filters_narrow_the_suggestions_to_a_warehouse_or_sku() -> None:
    queries = InMemoryClearanceQueries(CANDIDATES)
    assert [s["sku"] for s in await clearance_suggestions(queries, POLICIES, TODAY, warehouse="W2")] == ["C"]
    assert [s["sku"] for s in await clearance_suggestions(queries, POLICIES, TODAY, warehouses=["W1"])] == ["A"]
    assert await clearance_suggestions(queries, POLICIES, TODAY, sku="B") == []


async def test_a_sale_exactly_one_window_ago_still_counts_and_one_day_older_does_not() -> None:
    on_edge = InMemoryClearanceQueries([candidate("D", "W1", 10, {ago(30): 30})])
    assert await clearance_suggestions(on_edge, ClearancePolicies(), TODAY) == []  # 1 a day: 10 days of cover
    beyond = InMemoryClearanceQueries([candidate("D", "W1", 10, {ago(31): 30})])
    [suggestion] = await clearance_suggestions(beyond, ClearancePolicies(), TODAY)
    assert (suggestion["slow_qty"], suggestion["suggested_qty"]) == (10, 5)
    assert "no demand expected" in suggestion["reason"]


async def test_ties_are_ordered_by_sku_then_warehouse() -> None:
    same = [candidate(sku, wh, 10) for sku, wh in (("B", "W2"), ("A", "W2"), ("B", "W1"))]
    suggestions = await clearance_suggestions(InMemoryClearanceQueries(same), ClearancePolicies(), TODAY)
    assert [(s["sku"], s["warehouse"]) for s in suggestions] == [("A", "W2"), ("B", "W1"), ("B", "W2")]


async def test_nothing_in_stock_means_nothing_to_suggest() -> None:
    assert await clearance_suggestions(InMemoryClearanceQueries([]), POLICIES, TODAY) == []
