"""The reorder rule on the real event store: one replenishment per SKU × warehouse even under concurrent
triggers, transfers preferred when another warehouse has surplus, and the open → ordered → received cycle."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from domain.base import Actor, Meta
from domain.replenishment import DemandForecast
from infrastructure.bootstrap import Container

FORECAST_4 = DemandForecast(4.0, 1.0, 0, "test", "2026-01-01T00:00:00+00:00")

META = Meta(actor=Actor("tester", "admin"), correlation_id="test")
POLICY = {"safety_factor": "0.5", "lead_time_days": 5, "review_days": 2, "min_order_qty": 10}


def setup(container: Container, w1_stock: int, w2_stock: int = 0) -> None:
    app = container.app
    app.put_warehouse("W1", "Main", "eu", META)
    app.put_warehouse("W2", "North", "eu", META)
    app.put_product("A", "Widget", "tools", Decimal("1.00"), "EUR", 5, META)
    if w1_stock:
        app.receive_stock("A", "W1", w1_stock, "po-0", META)
    app.set_stock_policy("A", "W1", POLICY, META)
    if w2_stock:
        app.receive_stock("A", "W2", w2_stock, "po-1", META)


def test_concurrent_triggers_raise_exactly_one_replenishment(container: Container) -> None:
    setup(container, 3)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(lambda _: container.app.evaluate_reorder("A", "W1", ["W1", "W2"], META, FORECAST_4), range(12))
        )
    opened = [r.aggregate for r in results if r.aggregate is not None]
    assert len(opened) == 1
    replenishment = opened[0]
    # forecast 4/day over 7 days = 28, safety 14 -> reorder point 42; target 42 + 8 = 50; position 3 -> 47
    assert (replenishment.kind, replenishment.quantity) == ("purchase", 47)
    assert replenishment.decision["reorder_point"] == 42.0
    assert container.app.stock("A", "W1").on_order == 47


def test_nothing_is_raised_above_the_reorder_point_or_without_a_policy(container: Container) -> None:
    setup(container, 100)
    assert container.app.evaluate_reorder("A", "W1", ["W1"], META, FORECAST_4).aggregate is None
    assert container.app.evaluate_reorder("A", "W2", ["W1"], META, FORECAST_4).aggregate is None


def test_a_warehouse_with_surplus_is_asked_for_a_transfer_before_buying(container: Container) -> None:
    setup(container, 0, w2_stock=30)
    replenishment = container.app.evaluate_reorder("A", "W1", ["W1", "W2"], META, FORECAST_4).aggregate
    assert (replenishment.kind, replenishment.source_warehouse, replenishment.quantity) == ("transfer", "W2", 30)
    container.app.order_replenishment(replenishment.id, "internal", META)
    assert container.app.stock("A", "W2").on_hand == 0
    assert container.app.stock("A", "W1").inbound == 30
    container.app.receive_replenishment(replenishment.id, None, META)
    target = container.app.stock("A", "W1")
    assert (target.on_hand, target.inbound, target.open_replenishment) == (30, 0, None)


def test_receiving_a_purchase_adds_the_stock_and_allows_the_next_one(container: Container) -> None:
    setup(container, 2)
    rid = container.app.evaluate_reorder("A", "W1", ["W1"], META, FORECAST_4).aggregate.id
    container.app.order_replenishment(rid, "PO-77", META)
    container.app.receive_replenishment(rid, 45, META)
    stock = container.app.stock("A", "W1")
    assert (stock.on_hand, stock.on_order, stock.open_replenishment) == (47, 0, None)
    assert container.app.replenishment(rid).status == "received"
