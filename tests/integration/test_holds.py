"""Checkout holds on the real event store: H1 (300 concurrent holds and orders on 20 units never exceed
20 held + allocated), conversion by an order line, release, expiry only when due, and unpaid orders."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from application.errors import ConcurrencyError
from domain.base import Actor, InsufficientStockError, InvalidTransitionError, Meta
from domain.order import order_id
from infrastructure.bootstrap import Container
from infrastructure.jobs.ledger import Job
from infrastructure.settings import Settings
from workers.holds import cancel_unpaid
from workers.runtime import Runtime, build_runtime

META = Meta(actor=Actor("tester", "admin"), correlation_id="test")
WAREHOUSES = ["W1", "W2"]


def catalog(container: Container, *skus: str) -> None:
    app = container.app
    app.put_warehouse("W1", "Main", "eu-west", META)
    app.put_warehouse("W2", "North", "eu-north", META)
    for sku in skus:
        app.put_product(sku, f"Product {sku}", "tools", Decimal("9.99"), "EUR", 5, META)


def line(sku: str, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, "unit_price": Decimal("9.99"), "currency": "EUR", **extra}


def at(seconds: float) -> Meta:
    return replace(META, business_time=datetime.now(UTC) + timedelta(seconds=seconds))


def committed_units(container: Container, sku: str, warehouse: str) -> list[int]:
    """Held + allocated units after every version of the stock record (never above on hand)."""
    stock = container.app.stock(sku, warehouse)
    history = [container.app.get_aggregate(stock.id, version=v) for v in range(1, stock.version + 1)]
    assert all(s.reserved <= s.on_hand for s in history)
    return [s.reserved for s in history]


def test_three_hundred_concurrent_holds_and_orders_on_twenty_units_never_exceed_twenty(container: Container) -> None:
    catalog(container, "A")
    app = container.app
    app.receive_stock("A", "W1", 20, "po-1", META)

    def act(i: int) -> str:
        try:
            if i % 2:
                app.place_hold("A", 1, f"cart-{i}", META, warehouse="W1")
                return "held"
            placed = app.place_order("web", f"o-{i}", {"id": f"c{i}"}, [line("A")], META)
            status = app.allocate_order(placed.aggregate.id, ["W1"], [], META).aggregate.status
            return "allocated" if status == "allocated" else "backordered"
        except InsufficientStockError:
            return "refused"
        except ConcurrencyError:
            return "busy"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(act, range(300)))

    stock = app.stock("A", "W1")
    assert outcomes.count("held") + outcomes.count("allocated") == 20
    assert (stock.reserved, stock.available) == (20, 0)
    assert sum(stock.holds.values()) == outcomes.count("held")
    assert max(committed_units(container, "A", "W1")) == 20


def test_an_order_line_naming_a_hold_takes_the_held_units_first_and_converts_it(container: Container) -> None:
    catalog(container, "A")
    app = container.app
    app.receive_stock("A", "W2", 3, "po-1", META)
    hold = app.place_hold("A", 3, "cart-1", META, warehouses=tuple(WAREHOUSES)).aggregate
    assert (hold.warehouse, hold.status, app.stock("A", "W2").available) == ("W2", "active", 0)

    placed = app.place_order("web", "1", {"id": "c1"}, [line("A", 2, hold_id=str(hold.id))], META).aggregate
    allocated = app.allocate_order(placed.id, WAREHOUSES, ["W1"], META).aggregate

    assert (allocated.status, allocated.allocations) == ("allocated", {"A": {"W2": 2}})
    stock = app.stock("A", "W2")
    assert (stock.reserved, stock.holds, stock.available) == (2, {}, 1)  # the held surplus is free again
    converted = app.hold(hold.id)
    assert (converted.status, converted.order_id) == ("converted", str(placed.id))


def test_a_released_hold_frees_its_units_and_cannot_expire_or_be_released_differently(container: Container) -> None:
    catalog(container, "A")
    app = container.app
    app.receive_stock("A", "W1", 5, "po-1", META)
    with pytest.raises(InsufficientStockError):
        app.place_hold("A", 6, "cart-1", META, warehouses=tuple(WAREHOUSES))
    hold = app.place_hold("A", 5, "cart-1", META, warehouse="W1").aggregate
    assert app.stock("A", "W1").available == 0
    assert app.release_hold(hold.id, META).aggregate.status == "released"
    assert app.release_hold(hold.id, META).aggregate.status == "released"  # again: nothing changes
    assert app.expire_hold(hold.id, at(3600)).aggregate.status == "released"
    assert app.stock("A", "W1").available == 5


def test_a_hold_expires_only_once_due_and_an_extension_moves_its_expiry(container: Container) -> None:
    catalog(container, "A")
    app = container.app
    app.receive_stock("A", "W1", 5, "po-1", META)
    hold = app.place_hold("A", 2, "cart-1", at(0), warehouse="W1", ttl_seconds=60).aggregate
    assert app.expire_hold(hold.id, at(30)).aggregate.status == "active"
    extended = app.extend_hold(hold.id, 3600, at(0)).aggregate
    assert extended.expiry == hold.placed_at + timedelta(seconds=3600)  # capped at the maximum
    assert app.expire_hold(hold.id, at(120)).aggregate.status == "active"
    assert app.expire_hold(hold.id, at(3601)).aggregate.status == "expired"
    assert app.stock("A", "W1").available == 5
    with pytest.raises(InvalidTransitionError):
        app.release_hold(hold.id, META)


@pytest.fixture
def runtime(settings: Settings, container: Container) -> Iterator[Runtime]:
    built = build_runtime(settings)
    yield built
    built.close()


def job(payload: dict[str, Any]) -> Job:
    return Job(id=1, kind="unpaid_cancel", payload=payload, attempts=1, correlation_id=None, cause_position=0)


def test_an_unpaid_order_is_cancelled_but_a_payment_that_arrived_first_wins(runtime: Runtime) -> None:
    app = runtime.container.app
    catalog(runtime.container, "A")
    unpaid = app.place_order("shop", "u-1", {"id": "c1"}, [line("A")], META).aggregate
    paid = app.place_order("shop", "p-1", {"id": "c2"}, [line("A")], META).aggregate
    app.record_payment(paid.id, Decimal("9.99"), "EUR", "pay-1", META)

    assert cancel_unpaid(runtime, job({"order_id": str(unpaid.id)}))["cancelled"] is True
    assert cancel_unpaid(runtime, job({"order_id": str(paid.id)}))["cancelled"] is False
    assert app.order(order_id("shop", "u-1")).status == "cancelled"
    assert app.order(UUID(str(paid.id))).status == "placed"
    reasons = [getattr(e, "reason", None) for e in app.repository.event_store.get(unpaid.id)]
    assert reasons[-1] == "unpaid_timeout"
