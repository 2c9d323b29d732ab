"""Worker scenarios from reliability.md with real processes: C1 (last units), I3 (duplicate delivery),
K2 (worker killed repeatedly; a poison job is parked after 3 attempts), K5 (Redis killed, restarted empty)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from psycopg_pool import ConnectionPool

from application.reactions import JobSpec
from domain.base import Actor, Meta
from infrastructure.bootstrap import Container
from infrastructure.jobs.broker import JobRef, job_message
from infrastructure.jobs.ledger import RELAY_NAME, JobLedger
from tests.faults.conftest import Stack
from tests.waiting import wait_until

META = Meta(actor=Actor("storefront", "integration"), correlation_id="fault-test")


def seed(container: Container, units: int, skus: tuple[str, ...] = ("A",)) -> None:
    app = container.app
    app.put_warehouse("W1", "Main", "eu-west", META)
    app.put_warehouse("W2", "North", "eu-north", META)
    for sku in skus:
        app.put_product(sku, f"Product {sku}", "tools", Decimal("5.00"), "EUR", 3, META)
        app.receive_stock(sku, "W1", units, f"po-{sku}", META)


def place(container: Container, count: int, prefix: str, workers: int = 8) -> list[UUID]:
    line = [{"sku": "A", "quantity": 1, "unit_price": Decimal("5.00"), "currency": "EUR"}]

    def one(i: int) -> UUID:
        order = container.app.place_order("web", f"{prefix}-{i}", {"id": f"c{i}"}, line, META).aggregate
        return UUID(str(order.id))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(count)))


def job_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM jobs GROUP BY status").fetchall())


def allocated_events_per_order(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT originator_id, count(*) FROM shopops_events WHERE topic = 'shopops.order.allocated' "
            "GROUP BY originator_id"
        ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def relay_position(url: str) -> int:
    """How far the relay has turned events into jobs."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT notification_id FROM relay_tracking WHERE application_name = %s", (RELAY_NAME,)
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _answers(port: int) -> bool:
    try:
        with redis.Redis(port=port, socket_connect_timeout=1) as client:
            return bool(client.ping())
    except redis.ConnectionError:
        return False


def open_jobs(url: str) -> int:
    counts = job_counts(url)
    return counts.get("pending", 0) + counts.get("running", 0)


def test_c1_two_hundred_orders_for_five_units_allocate_exactly_five(container: Container, stack: Stack) -> None:
    seed(container, 5)
    for name in ("projections", "relay", "worker"):
        stack.start(name)
    orders = place(container, 200, "c1")
    url = stack.env["DATABASE_URL"]
    wait_until(lambda: job_counts(url).get("done", 0) >= 200 and open_jobs(url) == 0, 120, "dispatch", stack.log_tail)
    statuses = [container.app.order(o).status for o in orders]
    assert statuses.count("allocated") == 5
    assert statuses.count("backordered") == 195
    stock = container.app.stock("A", "W1")
    assert (stock.on_hand, stock.reserved, stock.available) == (5, 5, 0)
    history = [container.app.get_aggregate(stock.id, version=v) for v in range(1, stock.version + 1)]
    assert min(s.available for s in history) >= 0
    assert all(n == 1 for n in allocated_events_per_order(url).values())


def test_i3_jobs_delivered_two_or_three_times_take_effect_once(
    container: Container, stack: Stack, redis_url: str
) -> None:
    seed(container, 1000)
    stack.start("projections")
    stack.start("relay")
    orders = place(container, 300, "i3")
    url = stack.env["DATABASE_URL"]
    wait_until(lambda: sum(job_counts(url).values()) >= 300, 60, "jobs recorded", stack.log_tail)
    broker = RedisBroker(url=redis_url)  # type: ignore[no-untyped-call]
    with psycopg.connect(url) as conn:
        ids = [int(r[0]) for r in conn.execute("SELECT id FROM jobs WHERE kind = 'dispatch'").fetchall()]
    for job_id in ids:
        for _ in range(1 + job_id % 2):  # every job is delivered 2 or 3 times in all
            broker.enqueue(job_message(JobRef(job_id, "dispatch")))
    stack.start("worker")
    wait_until(
        lambda: open_jobs(url) == 0 and job_counts(url).get("done", 0) >= 300, 120, "all jobs done", stack.log_tail
    )
    effects = allocated_events_per_order(url)
    assert len(effects) == 300
    assert set(effects.values()) == {1}
    assert {container.app.order(o).status for o in orders} == {"allocated"}


@pytest.mark.parametrize(
    ("rounds", "orders_per_round", "kill_every"),
    [
        pytest.param(4, 150, 2.0, id="bounded"),
        pytest.param(5, 200, 5.0, id="full", marks=pytest.mark.slow),  # reliability.md: 1,000 jobs, kill every 5 s
    ],
)
def test_k2_killing_the_worker_loses_no_job_and_a_job_that_kills_it_is_parked(
    container: Container, stack: Stack, rounds: int, orders_per_round: int, kill_every: float
) -> None:
    seed(container, 5000)
    for name in ("projections", "relay", "worker"):
        stack.start(name)
    url = stack.env["DATABASE_URL"]
    with ConnectionPool(url, min_size=1, max_size=2) as pool:
        poison = JobLedger(pool).schedule([JobSpec("fault:crash", "poison", {})])
    orders = []
    for round_no in range(rounds):
        orders += place(container, orders_per_round, f"k2-{round_no}")
        time.sleep(kill_every)  # the kill interval of the scenario (load pacing), not a synchronisation
        if stack.alive("worker"):
            stack.kill("worker")
        stack.start("worker")

    def settled() -> bool:
        if not stack.alive("worker"):  # the poison job takes the worker down: restart it, as a supervisor would
            stack.start("worker")
        return open_jobs(url) == 0 and job_counts(url).get("parked", 0) >= 1

    state = lambda: f"jobs by status: {job_counts(url)}\n{stack.log_tail()}"  # noqa: E731 - a one-line report
    wait_until(settled, 90, "every job done and the poison job parked", state, poll=0.5)
    with psycopg.connect(url) as conn:
        parked = conn.execute("SELECT id, attempts FROM jobs WHERE status = 'parked'").fetchall()
    assert parked == [(poison[0], 3)]
    effects = allocated_events_per_order(url)
    assert len(effects) == len(orders)
    assert set(effects.values()) == {1}


@pytest.fixture
def own_redis(tmp_path: Any) -> Iterator[tuple[str, Any]]:
    """A Redis server of the test's own on a spare port, so it can be killed without touching anyone else."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is required for the Redis fault test"
    port = 6391
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    state = {"proc": subprocess.Popen(args, stdout=subprocess.DEVNULL, cwd=tmp_path)}

    def restart() -> None:
        state["proc"].send_signal(signal.SIGKILL)
        state["proc"].wait(5)
        time.sleep(3)  # the length of the Redis outage in the scenario, not a synchronisation
        state["proc"] = subprocess.Popen(args, stdout=subprocess.DEVNULL, cwd=tmp_path)

    wait_until(lambda: _answers(port), 10, f"redis-server on port {port}")
    yield f"redis://127.0.0.1:{port}/0", restart
    state["proc"].kill()


def test_k5_redis_killed_and_restarted_empty_loses_no_work(
    container: Container, clean_db: str, own_redis: tuple[str, Any], tmp_path: Any
) -> None:
    redis_url, restart_redis = own_redis
    stack = Stack(clean_db, redis_url, tmp_path)
    try:
        seed(container, 5000)
        for name in ("projections", "relay", "worker"):
            stack.start(name)
        orders = place(container, 150, "k5-before")
        restart_redis()  # kill -9 mid-run; during the outage intake goes on (placed orders are events)
        orders += place(container, 150, "k5-after")
        wait_until(
            lambda: open_jobs(clean_db) == 0 and len(allocated_events_per_order(clean_db)) == 300,
            90,
            "all work done after Redis came back empty",
            stack.log_tail,
        )
        assert set(allocated_events_per_order(clean_db).values()) == {1}
        assert {container.app.order(o).status for o in orders} == {"allocated"}
    finally:
        stack.stop_all()


def test_c2_concurrent_multi_line_carts_never_overallocate_and_strand_nothing_after_cancellations(
    container: Container, stack: Stack
) -> None:
    skus = tuple(f"S{i:02d}" for i in range(20))
    app = container.app
    app.put_warehouse("W1", "Main", "eu-west", META)
    app.put_warehouse("W2", "North", "eu-north", META)
    for i, sku in enumerate(skus):
        app.put_product(sku, sku, "tools", Decimal("3.00"), "EUR", 3, META)
        app.receive_stock(sku, "W1" if i % 2 else "W2", 6, "po", META)
        app.receive_stock(sku, "W2" if i % 2 else "W1", 4, "po", META)
    for name in ("projections", "relay", "worker"):
        stack.start(name)

    def cart(i: int) -> UUID:
        chosen = sorted({skus[(i * 7 + k * 3) % 20] for k in range(1 + i % 4)})
        lines = [
            {"sku": s, "quantity": 1 + (i + k) % 2, "unit_price": Decimal("3.00"), "currency": "EUR"}
            for k, s in enumerate(chosen)
        ]
        return UUID(str(app.place_order("web", f"c2-{i}", {"id": f"c{i}"}, lines, META).aggregate.id))

    with ThreadPoolExecutor(max_workers=8) as pool:
        orders = list(pool.map(cart, range(300)))
    url = stack.env["DATABASE_URL"]
    wait_until(
        lambda: open_jobs(url) == 0 and len(allocated_events_per_order(url)) >= 300, 180, "carts", stack.log_tail
    )
    for oid in orders[::7]:  # cancel some; their reservations go back and may fill backorders
        app.cancel_order(oid, "test", META)
    head = app.position()
    wait_until(lambda: relay_position(url) >= head and open_jobs(url) == 0, 120, "backorders refilled", stack.log_tail)
    status = {oid: app.order(oid) for oid in orders}
    for sku in skus:
        held: dict[str, int] = {}
        for wh in ("W1", "W2"):
            stock = app.stock(sku, wh)
            assert 0 <= stock.reserved <= stock.on_hand
            for oid, qty in stock.reservations.items():
                held[oid] = held.get(oid, 0) + qty
        assert sum(app.stock(sku, wh).on_hand for wh in ("W1", "W2")) == 10
        live = {
            str(o): sum(order.allocations.get(sku, {}).values())
            for o, order in status.items()
            if order.status != "cancelled"
        }
        assert sum(live.values()) == sum(held.values()) <= 10
        assert all(str(o) not in held for o, order in status.items() if order.status == "cancelled")


def test_tickets_are_triaged_assigned_and_escalated_by_the_workers(container: Container, stack: Stack) -> None:
    stack.env["SHOPOPS_SLA_POLICY"] = '{"normal": [3, 3600], "high": [3600, 7200]}'
    app = container.app
    app.put_agent("ann", "Ann", ["shipping"], 5, True, META)
    for name in ("projections", "relay", "worker"):
        stack.start(name)
    # opened now: the SLA clocks of the read model (business time) and the domain (recording time) agree
    now = Meta(actor=META.actor, correlation_id=META.correlation_id)
    english = app.open_ticket("cust-1", None, "email", "Where is my parcel?", "Tracking has not moved", now)
    chinese = app.open_ticket("cust-2", None, "web", "包裹还没到", "我的快递一直没到，请查一下物流", now)
    tickets = [english.aggregate.id, chinese.aggregate.id]
    wait_until(lambda: all(app.ticket(t).assignee == "ann" for t in tickets), 60, "triage", stack.log_tail)
    assert {app.ticket(t).category for t in tickets} == {"shipping"}
    app.put_agent("ann", "Ann", ["shipping"], 5, False, META)  # goes offline before answering
    app.put_agent("bob", "Bob", ["shipping"], 5, True, META)
    wait_until(lambda: all(app.ticket(t).escalations for t in tickets), 60, "SLA escalation", stack.log_tail)
    for tid in tickets:
        ticket = app.ticket(tid)
        assert (ticket.priority, ticket.assignee, ticket.escalations) == ("high", "bob", ["first_response"])
