"""The routing rule prefers configured warehouses, then single-shipment coverage, and backorders the rest."""

from domain.routing import route


def test_a_warehouse_that_covers_the_whole_order_beats_a_split() -> None:
    routing = route({"A": 2, "B": 1}, {"W1": {"A": 5}, "W2": {"A": 2, "B": 1}})
    assert routing.allocations == {"A": {"W2": 2}, "B": {"W2": 1}}
    assert routing.backordered == {}
    assert routing.explain()["candidates"][0]["warehouse"] == "W2"


def test_preferred_warehouses_come_first_even_when_they_split() -> None:
    routing = route({"A": 2, "B": 1}, {"W1": {"A": 5}, "W2": {"A": 2, "B": 1}}, preferred=["W1"])
    assert routing.allocations == {"A": {"W1": 2}, "B": {"W2": 1}}


def test_what_no_warehouse_holds_is_backordered() -> None:
    routing = route({"A": 5}, {"W1": {"A": 2}, "W2": {"A": 1}})
    assert routing.allocations == {"A": {"W1": 2, "W2": 1}}
    assert routing.backordered == {"A": 2}


def test_ties_break_on_the_warehouse_code() -> None:
    routing = route({"A": 1}, {"W2": {"A": 3}, "W1": {"A": 3}})
    assert routing.allocations == {"A": {"W1": 1}}
