"""Application commands against the real PostgreSQL event store: invariants under concurrency, idempotent
creation, optimistic concurrency and point-in-time reads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from application.errors import NotFoundError, VersionMismatchError
from domain.base import Actor, InsufficientStockError, Meta, UnknownReferenceError
from infrastructure.bootstrap import Container, bootstrap

META = Meta(actor=Actor("tester", "admin"), correlation_id="test")


def event_count(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM shopops_events").fetchone()
    assert row is not None
    return int(row[0])


def catalog(container: Container, *skus: str) -> None:
    app = container.app
    app.put_warehouse("W1", "Main", "eu-west", META)
    app.put_warehouse("W2", "North", "eu-north", META)
    for sku in skus:
        app.put_product(sku, f"Product {sku}", "tools", Decimal("9.99"), "EUR", 5, META)


def line(sku: str, quantity: int = 1) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, "unit_price": Decimal("9.99"), "currency": "EUR"}


def test_fifty_concurrent_single_unit_decrements_on_twenty_units_succeed_exactly_twenty_times(
    container: Container,
) -> None:
    catalog(container, "A")
    container.app.receive_stock("A", "W1", 20, "po-1", META)

    def decrement(_: int) -> str:
        try:
            container.app.adjust_stock("A", "W1", -1, "picked", META)
        except InsufficientStockError:
            return "insufficient"
        return "ok"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(decrement, range(50)))

    assert outcomes.count("ok") == 20
    assert outcomes.count("insufficient") == 30
    stock = container.app.stock("A", "W1")
    assert (stock.on_hand, stock.available) == (0, 0)
    history = [container.app.get_aggregate(stock.id, version=v).on_hand for v in range(1, stock.version + 1)]
    assert min(history) >= 0


def test_two_commands_with_the_same_expected_version_let_exactly_one_through(container: Container) -> None:
    catalog(container, "A")
    version = container.app.receive_stock("A", "W1", 5, "po-1", META).aggregate.version

    def adjust(_: int) -> str:
        try:
            container.app.adjust_stock("A", "W1", 1, "count", META, if_match=version)
        except VersionMismatchError:
            return "412"
        return "ok"

    for _ in range(5):
        with ThreadPoolExecutor(max_workers=2) as pool:
            assert sorted(pool.map(adjust, range(2))) == ["412", "ok"]
        version = container.app.stock("A", "W1").version


def test_placing_the_same_channel_order_concurrently_records_one_order(container: Container, clean_db: str) -> None:
    catalog(container, "A")
    before = event_count(clean_db)

    def place(_: int) -> tuple[str, bool]:
        result = container.app.place_order("amazon", "AMZ-1", {"id": "c1"}, [line("A", 2)], META)
        return str(result.aggregate.id), result.created

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(place, range(20)))

    assert len({order for order, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert event_count(clean_db) == before + 1


def test_unknown_skus_and_warehouses_are_refused_and_nothing_is_recorded(container: Container, clean_db: str) -> None:
    catalog(container, "A")
    before = event_count(clean_db)
    with pytest.raises(UnknownReferenceError):
        container.app.place_order("web", "1", {"id": "c1"}, [line("A"), line("NOPE")], META)
    with pytest.raises(UnknownReferenceError):
        container.app.receive_stock("A", "W9", 1, "x", META)
    with pytest.raises(NotFoundError):
        container.app.receive_transfer(uuid4(), META)
    assert event_count(clean_db) == before


def test_cancelling_releases_nothing_twice_and_shipping_draws_stock(container: Container) -> None:
    catalog(container, "A")
    container.app.receive_stock("A", "W1", 5, "po-1", META)
    order = container.app.place_order("web", "1", {"id": "c1"}, [line("A", 2)], META).aggregate
    shipped = container.app.ship_order(order.id, "W1", "dhl", "T1", None, META).aggregate
    assert shipped.status == "shipped"
    assert container.app.stock("A", "W1").on_hand == 3
    delivered = container.app.deliver_order(order.id, META).aggregate
    assert delivered.status == "delivered"
    returned = container.app.return_order(order.id, {"A": 2}, "wrong size", META).aggregate
    assert returned.status == "returned"
    assert container.app.stock("A", "W1").on_hand == 5


def test_a_transfer_moves_stock_atomically_between_warehouses(container: Container) -> None:
    catalog(container, "A")
    container.app.receive_stock("A", "W1", 5, "po-1", META)
    transfer = container.app.start_transfer("A", "W1", "W2", 3, META).aggregate
    assert (container.app.stock("A", "W1").on_hand, container.app.stock("A", "W2").inbound) == (2, 3)
    container.app.receive_transfer(transfer.id, META)
    container.app.receive_transfer(transfer.id, META)
    target = container.app.stock("A", "W2")
    assert (target.on_hand, target.inbound) == (3, 0)


def test_any_past_version_of_a_record_can_be_replayed(container: Container) -> None:
    catalog(container, "A")
    for quantity in (1, 2, 3):
        container.app.receive_stock("A", "W1", quantity, f"po-{quantity}", META)
    stock = container.app.stock("A", "W1")
    assert [container.app.get_aggregate(stock.id, version=v).on_hand for v in (2, 3, 4)] == [1, 3, 6]


def test_concurrent_allocations_of_the_last_units_never_oversell(container: Container) -> None:
    catalog(container, "A")
    container.app.receive_stock("A", "W1", 3, "po-1", META)
    orders = [container.app.place_order("web", f"o{i}", {"id": "c"}, [line("A")], META).aggregate.id for i in range(12)]

    def allocate(oid: Any) -> str:
        return str(container.app.allocate_order(oid, ["W1", "W2"], [], META).aggregate.status)

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(allocate, orders))

    assert statuses.count("allocated") == 3
    assert statuses.count("backordered") == 9
    stock = container.app.stock("A", "W1")
    assert (stock.on_hand, stock.reserved, stock.available) == (3, 3, 0)


def test_cancelling_an_allocated_order_releases_its_reservations(container: Container) -> None:
    catalog(container, "A", "B")
    container.app.receive_stock("A", "W1", 2, "po-1", META)
    container.app.receive_stock("B", "W2", 2, "po-2", META)
    oid = container.app.place_order("web", "1", {"id": "c"}, [line("A", 2), line("B", 1)], META).aggregate.id
    order = container.app.allocate_order(oid, ["W1", "W2"], [], META).aggregate
    assert order.allocations == {"A": {"W1": 2}, "B": {"W2": 1}}
    container.app.cancel_order(oid, "customer changed mind", META)
    assert container.app.stock("A", "W1").reserved == 0
    assert container.app.stock("B", "W2").reserved == 0


def test_shipping_an_allocated_order_takes_what_each_warehouse_reserved(container: Container) -> None:
    catalog(container, "A", "B")
    container.app.receive_stock("A", "W1", 2, "po-1", META)
    container.app.receive_stock("B", "W2", 1, "po-2", META)
    oid = container.app.place_order("web", "1", {"id": "c"}, [line("A", 2), line("B", 1)], META).aggregate.id
    container.app.allocate_order(oid, ["W1", "W2"], [], META)
    first = container.app.ship_order(oid, "W1", "dhl", "T1", None, META).aggregate
    assert first.status == "partially_shipped"
    second = container.app.ship_order(oid, "W2", "dhl", "T2", None, META).aggregate
    assert second.status == "shipped"
    for sku, wh in (("A", "W1"), ("B", "W2")):
        stock = container.app.stock(sku, wh)
        assert (stock.on_hand, stock.reserved) == (0, 0)


def test_a_cached_aggregate_sees_what_another_process_saved_since(container: Container, clean_db: str) -> None:
    """Each process keeps aggregates in eventsourcing's cache and fast-forwards them on every load: a second
    application (another process, in effect) reserving units is seen at once, and an allocation decided on
    the cached copy can never oversell."""
    catalog(container, "C")
    container.app.receive_stock("C", "W1", 3, "po-1", META)
    assert container.app.stock("C", "W1").available == 3  # now cached in this application
    with bootstrap(container.settings) as other:
        assert other.app.repository.cache is not None
        for n in range(2):
            oid = other.app.place_order("web", f"other-{n}", {"id": "c1"}, [line("C")], META).aggregate.id
            other.app.allocate_order(oid, ["W1"], [], META)
    stock = container.app.stock("C", "W1")
    assert (stock.reserved, stock.available) == (2, 1)
    stock.reserve("mutated-copy", 1, META)  # a command's copy: the cached aggregate is left as it was
    assert container.app.stock("C", "W1").available == 1
    mine = container.app.place_order("web", "mine", {"id": "c2"}, [line("C", 2)], META).aggregate.id
    allocated = container.app.allocate_order(mine, ["W1"], [], META).aggregate
    assert sum(allocated.allocations["C"].values()) == 1  # one unit left: the rest is backordered
    assert container.app.stock("C", "W1").available == 0
