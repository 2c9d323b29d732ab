"""Checkout holds over HTTP: place, read, release, convert through an order line, stock levels' `held`, and
H1 at the HTTP level (concurrent holds and orders never commit more than the stock)."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from psycopg import Connection
from psycopg_pool import ConnectionPool

from domain.base import Meta
from infrastructure.bootstrap import Container
from infrastructure.settings import Settings
from tests.api.conftest import Api, assert_problem, money
from workers.holds import hold_expiry_jobs, unpaid_order_jobs


async def test_a_hold_is_placed_read_and_released_and_counts_as_held_in_stock_levels(api: Api) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 5)
    placed = await api.post("/api/v1/holds", {"sku": "A", "quantity": 3, "reference": "cart-1"}, role="integration")
    assert placed.status_code == 201, placed.text
    hold = placed.json()
    assert (hold["status"], hold["warehouse"], hold["quantity"]) == ("active", "W1", 3)
    stock = (await api.seen("/api/v1/stock/A/W1", hold["position"])).json()
    assert (stock["held"], stock["reserved"], stock["available"]) == (3, 3, 2)
    assert_problem(
        await api.post("/api/v1/holds", {"sku": "A", "quantity": 3, "reference": "cart-2"}), 409, "insufficient_stock"
    )
    assert_problem(
        await api.post("/api/v1/holds", {"sku": "A", "quantity": 1, "reference": "c", "ttl_seconds": 3601}), 422
    )
    released = await api.post(f"/api/v1/holds/{hold['id']}/release", role="integration")
    assert released.json()["status"] == "released"
    read = await api.get(f"/api/v1/holds/{hold['id']}", role="ops")
    assert read.json()["status"] == "released"
    stock = (await api.seen("/api/v1/stock/A/W1", released.json()["position"])).json()
    assert (stock["held"], stock["available"]) == (0, 5)


async def test_an_order_line_with_a_hold_id_converts_the_hold(api: Api, container: Container) -> None:
    await api.catalog("A")
    await api.receive("A", "W2", 2)
    hold = (await api.post("/api/v1/holds", {"sku": "A", "quantity": 2, "reference": "cart-1"})).json()
    order = await api.place("h-1", [{"sku": "A", "quantity": 2, "unit_price": money("9.99"), "hold_id": hold["id"]}])
    container.app.allocate_order(UUID(order["id"]), ["W1", "W2"], [], Meta())  # as the dispatch worker would
    converted = (await api.get(f"/api/v1/holds/{hold['id']}")).json()
    assert (converted["status"], converted["order_id"]) == ("converted", order["id"])


async def test_concurrent_holds_over_http_never_hold_more_than_the_stock(api: Api) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 20)

    async def hold(i: int) -> int:
        body = {"sku": "A", "quantity": 1, "reference": f"cart-{i}", "warehouse": "W1"}
        return (await api.post("/api/v1/holds", body, role="integration")).status_code

    codes = await asyncio.gather(*(hold(i) for i in range(60)))
    assert codes.count(201) == 20
    assert set(codes) <= {201, 409}
    stock = (await api.get("/api/v1/stock/A/W1")).json()
    assert stock["version"] >= 21


async def test_the_relays_sweep_finds_holds_due_and_payment_first_orders_left_unpaid(
    api: Api, settings: Settings, clean_db: str
) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 5)
    hold = (await api.post("/api/v1/holds", {"sku": "A", "quantity": 1, "reference": "c", "ttl_seconds": 2})).json()
    later = (await api.post("/api/v1/holds", {"sku": "A", "quantity": 1, "reference": "d", "ttl_seconds": 600})).json()
    order = await api.place("u-1")
    await api.seen(f"/api/v1/orders/{order['id']}", max(order["position"], later["position"]))
    before = (settings.shopops_payment_first_channels, settings.shopops_unpaid_cancel_minutes)
    settings.shopops_payment_first_channels, settings.shopops_unpaid_cancel_minutes = frozenset({"web"}), 0.0001
    pool: ConnectionPool[Connection[Any]] = ConnectionPool(clean_db, min_size=1, max_size=2, open=True)
    try:
        assert [s.payload["hold_id"] for s in hold_expiry_jobs(pool, 5)] == [hold["id"]]
        assert [s.payload["order_id"] for s in unpaid_order_jobs(pool, settings)] == [order["id"]]
        settings.shopops_payment_first_channels = frozenset({"other"})
        assert unpaid_order_jobs(pool, settings) == []
    finally:
        settings.shopops_payment_first_channels, settings.shopops_unpaid_cancel_minutes = before
        pool.close()
