"""Channels both ways with real processes (projections, relay, worker) and real receiving servers on loopback:
P1 (a burst across two channels with shares and buffers, receivers failing part of the time, the worker killed
once → every channel's last received value equals its available-to-sell, versions never go backwards,
fulfilment pushed on shipment) and H1's expiry half (a hold expires within 5 s even after Redis was wiped)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest
import redis

from application.errors import ConcurrencyError
from domain.base import Actor, DomainError, Meta
from domain.channel import available_to_sell
from infrastructure.bootstrap import Container
from tests.faults.conftest import Stack
from tests.receiver import Receiver
from tests.waiting import wait_until

META = Meta(actor=Actor("ops", "ops"), correlation_id="p1")
SKUS = ("A", "B", "C")
CHANNELS: dict[str, dict[str, Any]] = {
    "mkt-a": {"warehouses": ["W1", "W2"], "share": "0.6", "buffer": 2},
    "mkt-b": {"warehouses": ["W2", "W3"], "share": "0.5", "buffer": 1},
}


@pytest.fixture
def receivers() -> Iterator[dict[str, Receiver]]:
    servers = {code: Receiver(f"secret-{code}", fail_rate=0.3, seed=i).start() for i, code in enumerate(CHANNELS)}
    yield servers
    for server in servers.values():
        server.stop()


def start(stack: Stack, *parts: str) -> None:
    stack.env["SHOPOPS_CHANNEL_SECRETS"] = json.dumps({code: f"secret-{code}" for code in CHANNELS})
    stack.env["SHOPOPS_CHANNEL_DRIFT_SECONDS"] = "2"
    stack.env["SHOPOPS_CHANNEL_RATE"] = "40"
    for part in parts:
        stack.start(part)


def seed(container: Container, receivers: dict[str, Receiver]) -> None:
    app = container.app
    for code in ("W1", "W2", "W3"):
        app.put_warehouse(code, f"Warehouse {code}", "eu", META)
    for sku in SKUS:
        app.put_product(sku, f"Product {sku}", "tools", Decimal("5.00"), "EUR", 3, META)
        for code in ("W1", "W2", "W3"):
            app.receive_stock(sku, code, 15, f"po-{sku}-{code}", META)
    for code, settings in CHANNELS.items():
        url = receivers[code].url
        app.put_channel(
            code,
            {"name": code, **settings, "stock_url": f"{url}/stock", "fulfilment_url": f"{url}/fulfilment"},
            META,
        )


def expected(container: Container) -> dict[str, dict[str, int]]:
    """Available-to-sell computed from the stock aggregates themselves (the truth the pushes must reach)."""
    app = container.app
    result: dict[str, dict[str, int]] = {}
    for code, settings in CHANNELS.items():
        result[code] = {
            sku: available_to_sell(
                Decimal(settings["share"]),
                settings["buffer"],
                sum(app.stock(sku, w).available for w in settings["warehouses"]),
            )
            for sku in SKUS
        }
    return result


def burst(container: Container, count: int, seed_value: int) -> list[str]:
    """Orders on both channels, receipts and cancellations, from 8 threads; returns the placed order ids."""
    app = container.app
    rnd = random.Random(seed_value)
    plan = [(i, rnd.choice(list(CHANNELS)), rnd.choice(SKUS), rnd.randint(1, 3), rnd.random()) for i in range(count)]

    def act(step: tuple[int, str, str, int, float]) -> str | None:
        i, channel, sku, quantity, dice = step
        try:
            if dice < 0.15:
                app.receive_stock(sku, rnd.choice(("W1", "W2", "W3")), quantity, f"r-{seed_value}-{i}", META)
                return None
            line = [{"sku": sku, "quantity": quantity, "unit_price": Decimal("5.00"), "currency": "EUR"}]
            order = app.place_order(channel, f"{seed_value}-{i}", {"id": f"c{i}"}, line, META).aggregate
            if dice > 0.8:
                app.cancel_from_channel(channel, f"{seed_value}-{i}", "customer cancelled", META)
            return str(order.id)
        except (ConcurrencyError, DomainError):
            return None

    with ThreadPoolExecutor(max_workers=8) as pool:
        return [oid for oid in pool.map(act, plan) if oid]


def in_sync(container: Container, receivers: dict[str, Receiver]) -> bool:
    truth = expected(container)
    differences = {code: (receivers[code].last(code), truth[code]) for code in CHANNELS}
    LAST_DIFFERENCE.clear()
    LAST_DIFFERENCE.update({c: d for c, d in differences.items() if d[0] != d[1]})
    return not LAST_DIFFERENCE


LAST_DIFFERENCE: dict[str, Any] = {}  # (received, expected) per channel at the last check, for failure reports


def run_p1(container: Container, stack: Stack, receivers: dict[str, Receiver], rounds: int, size: int) -> list[str]:
    seed(container, receivers)
    start(stack, "projections", "relay", "worker")
    placed: list[str] = []
    url = stack.env["DATABASE_URL"]
    for round_no in range(rounds):
        placed += burst(container, size, round_no)
        done = jobs(url, "done")
        wait_until(lambda d=done: jobs(url, "done") > d + 20, 120, "the worker at work", stack.log_tail)
        stack.kill("worker")  # mid-way: jobs it held are re-sent by the sweeper, pushes resume from the outbox
        stack.start("worker")
    placed += burst(container, size, rounds)
    wait_in_sync(container, receivers, stack, 180)
    for code, receiver in receivers.items():
        assert receiver.versions_went_back() == [], code
        assert receiver.bad_signatures == 0
    assert sum(r.refused for r in receivers.values()) > 0  # the failures really happened
    return placed


def test_p1_a_burst_across_two_channels_with_failures_and_a_killed_worker_ends_in_sync(
    container: Container, stack: Stack, receivers: dict[str, Receiver]
) -> None:
    placed = run_p1(container, stack, receivers, rounds=1, size=120)

    app = container.app
    orders = (app.order(UUID(oid)) for oid in placed)
    shippable = next(o for o in orders if o.channel == "mkt-a" and o.status == "allocated")
    [(warehouse, _)] = shippable.allocations[next(iter(shippable.allocations))].items()
    app.ship_order(shippable.id, warehouse, "DHL", "T-1", None, META)
    wait_until(lambda: len(receivers["mkt-a"].fulfilments) == 1, 30, "fulfilment pushed", stack.log_tail)
    [fulfilment] = receivers["mkt-a"].fulfilments
    assert (fulfilment["external_id"], fulfilment["tracking_number"]) == (shippable.external_id, "T-1")
    wait_in_sync(container, receivers, stack, 60)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_p1_long_several_bursts_kills_and_a_wiped_redis_end_in_sync(
    container: Container, stack: Stack, receivers: dict[str, Receiver], redis_url: str
) -> None:
    run_p1(container, stack, receivers, rounds=3, size=250)
    redis.Redis.from_url(redis_url).flushdb()
    burst(container, 200, 99)
    wait_in_sync(container, receivers, stack, 180)


def wait_in_sync(container: Container, receivers: dict[str, Receiver], stack: Stack, timeout: float) -> None:
    """Until no job is open and every channel's last received value equals its available-to-sell."""
    url = stack.env["DATABASE_URL"]
    try:
        wait_until(
            lambda: jobs(url, "pending", "running") == 0 and in_sync(container, receivers),
            timeout,
            "in sync",
            stack.log_tail,
        )
    except AssertionError as error:
        with psycopg.connect(url) as conn:
            ledger = conn.execute("SELECT kind, status, count(*) FROM jobs GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
        raise AssertionError(
            f"{error}\ndifferences (received, expected): {LAST_DIFFERENCE}\nledger: {ledger}"
        ) from None


def jobs(url: str, *statuses: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM jobs WHERE status = ANY(%s)", (list(statuses),)).fetchone()
    return int(row[0]) if row else 0


def ledger_has(url: str, kind: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT 1 FROM jobs WHERE kind = %s", (kind,)).fetchone() is not None


def test_h1_a_hold_expires_within_five_seconds_even_when_redis_was_wiped(
    container: Container, stack: Stack, redis_url: str
) -> None:
    app = container.app
    app.put_warehouse("W1", "Main", "eu", META)
    app.put_product("A", "Product A", "tools", Decimal("5.00"), "EUR", 3, META)
    app.receive_stock("A", "W1", 5, "po-1", META)
    start(stack, "projections", "relay")
    hold = app.place_hold("A", 5, "cart-1", Meta(actor=META.actor), warehouse="W1", ttl_seconds=3).aggregate
    url = stack.env["DATABASE_URL"]
    wait_until(lambda: ledger_has(url, "hold_expire"), 60, "the relay's sweep wrote the expiry job", stack.log_tail)
    redis.Redis.from_url(redis_url).flushdb()  # its message is gone; the ledger still has the job
    stack.start("worker")
    wait_until(lambda: app.hold(hold.id).status == "expired", 60, "hold expired", stack.log_tail)
    assert app.stock("A", "W1").available == 5

    again = app.place_hold("A", 2, "cart-2", Meta(actor=META.actor), warehouse="W1", ttl_seconds=2).aggregate
    wait_until(lambda: app.hold(again.id).status == "expired", 2 + 5, "second hold expired within 5 s", stack.log_tail)
