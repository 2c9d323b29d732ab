"""K4 (reliability.md): PostgreSQL stopped with `pg_ctl stop -m immediate` for 5 s while clients place orders and
read them over HTTP, on a private server of the test's own, with the API, projections, relay and worker
running. No acknowledged order is lost, every request during the outage is answered 503 (problem JSON) within
5 s, and the same processes recover by themselves within 30 s: new orders succeed, read models and dispatch
move on."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from infrastructure.bootstrap import bootstrap
from infrastructure.eventstore.migrate import migrate
from infrastructure.identity.users import add_user
from infrastructure.settings import Settings
from tests.faults.conftest import PrivatePostgres, Stack
from tests.faults.order_clients import Attempt, OrderClients, OrderRun
from tests.faults.test_workers import allocated_events_per_order, open_jobs, seed
from tests.waiting import wait_until

RATE = 20.0  # orders per second, as in K1
OUTAGE = 5.0  # seconds the database stays down (reliability.md)
ANSWER_WITHIN = 5.0  # no request may wait longer during the outage
RECOVER_WITHIN = 30.0  # seconds from the restart until new orders are placed, projected and dispatched
USER, PASSWORD = "k4-ops", "k4-ops-password"
PROCESSES = ("api", "projections", "relay", "worker")


@dataclass(frozen=True)
class Outage:
    """Monotonic times: the stop was issued / had finished, the start was issued / had finished."""

    stopping: float
    down: float
    starting: float
    up: float


def order_statuses(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        return {str(r[0]): r[1] for r in conn.execute("SELECT id, status FROM order_summary").fetchall()}


def placed_orders(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        query = "SELECT originator_id FROM shopops_events WHERE topic = 'shopops.order.placed'"
        return {str(r[0]) for r in conn.execute(query).fetchall()}


async def dispatched_after(clients: OrderClients, url: str, up: float) -> float | None:
    """When the first order placed after the restart showed as allocated in the read model (None: not within
    RECOVER_WITHIN of the restart)."""
    while time.monotonic() < up + RECOVER_WITHIN:
        new = [a.order_id for r in clients.runs for a in r.attempts if a.started >= up and a.order_id]
        if new and (await asyncio.to_thread(order_statuses, url)).get(new[0]) == "allocated":
            return time.monotonic()
        await asyncio.sleep(0.2)  # the polling interval of this watch
    return None


async def stop_under_load(
    server: PrivatePostgres, stack: Stack, before: float, after: float
) -> tuple[list[OrderRun], list[Attempt], Outage, float | None]:
    """Orders at RATE for before + OUTAGE + after seconds, reads of one placed order all along, and the
    database stopped `before` seconds in. Returns every order, every read, the outage's times and when a
    new order was first seen dispatched after it."""
    async with OrderClients(stack.api_url, "k4", ["A"], retry_pause=0.25, max_pause=0.5) as clients:
        await clients.log_in(USER, PASSWORD)
        load = asyncio.create_task(clients.paced(RATE, before + OUTAGE + after))
        await asyncio.sleep(before)  # the load before the fault (the scenario's pacing)
        placed = next((r.attempts[-1].order_id for r in clients.runs if r.acknowledged), None)
        assert placed, "no order was placed before the outage"
        stop_reading = asyncio.Event()
        reader = asyncio.create_task(clients.read_loop(placed, stop_reading))
        stopping = time.monotonic()
        await asyncio.to_thread(server.stop, "immediate")
        down = time.monotonic()
        await asyncio.sleep(OUTAGE)  # the length of the outage in the scenario
        starting = time.monotonic()
        await asyncio.to_thread(server.start)
        outage = Outage(stopping, down, starting, time.monotonic())
        watch = asyncio.create_task(dispatched_after(clients, stack.env["DATABASE_URL"], outage.up))
        runs = await load
        stop_reading.set()
        await reader
        dispatched = await watch
    return runs, clients.reads, outage, dispatched


def during(attempts: list[Attempt], outage: Outage) -> list[Attempt]:
    """Requests sent and answered while the database was down."""
    return [a for a in attempts if a.started >= outage.down and a.ended <= outage.starting]


def overlapping(attempts: list[Attempt], outage: Outage) -> list[Attempt]:
    """Requests in flight at any moment of the outage."""
    return [a for a in attempts if a.started <= outage.starting and a.ended >= outage.stopping]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(8.0, 8.0, id="bounded", marks=pytest.mark.timeout(600)),
        pytest.param(60.0, 60.0, id="full", marks=[pytest.mark.slow, pytest.mark.timeout(1200)]),
    ],
)
def test_k4_stopping_postgres_under_load_loses_nothing_answers_503_fast_and_recovers_without_restarts(
    private_postgres: PrivatePostgres, redis_url: str, tmp_path: Path, before: float, after: float
) -> None:
    url = private_postgres.url("shopops")
    migrate(url)
    container = bootstrap(Settings(database_url=url))
    seed(container, 1_000_000)
    container.close()
    add_user(url, USER, PASSWORD, ["ops"])
    stack = Stack(url, redis_url, tmp_path)
    detail = lambda: stack.log_tail() + private_postgres.log_tail()  # noqa: E731 - a one-line report
    try:
        for name in PROCESSES:
            stack.start(name)
        stack.wait_for_api()
        pids = {name: stack.pid(name) for name in PROCESSES}

        runs, reads, outage, dispatched = asyncio.run(stop_under_load(private_postgres, stack, before, after))

        # during the outage: 503 problem documents, none slower than 5 s
        orders_down, reads_down = during([a for r in runs for a in r.attempts], outage), during(reads, outage)
        assert len(orders_down) >= RATE, "too few orders met the outage to judge it"
        assert len(reads_down) >= 10, "too few reads met the outage to judge it"
        wrong = [a for a in orders_down + reads_down if (a.status, a.problem_json) != (503, True)]
        assert not wrong, f"{len(wrong)} requests during the outage were not answered 503 problem+json: {wrong[:3]}"
        slow = [a for a in overlapping([a for r in runs for a in r.attempts] + reads, outage) if a.latency > 5.0]
        assert not slow, f"{len(slow)} requests took longer than {ANSWER_WITHIN} s during the outage: {slow[:3]}"

        errors = [a for r in runs for a in r.attempts if a.status and a.status >= 500 and a.status != 503]
        assert not errors, f"{len(errors)} requests failed with a server error other than 503: {errors[:3]}"

        # recovery: the same processes, new orders acknowledged, projected and dispatched within 30 s
        assert {name: stack.pid(name) for name in PROCESSES if stack.alive(name)} == pids, detail()
        unanswered = [r.attempts[-1] for r in runs if not r.acknowledged]
        assert not unanswered, f"{len(unanswered)} orders were never acknowledged: {unanswered[:3]}"
        late = [r for r in runs if r.attempts[-1].ended - max(outage.up, r.attempts[0].started) > RECOVER_WITHIN]
        assert not late, f"{len(late)} clients retrying their key waited > {RECOVER_WITHIN} s: {late[0].attempts[-3:]}"
        acked_after = [a for r in runs for a in r.attempts if a.started >= outage.up and a.order_id]
        assert acked_after, "no order was placed after the restart"
        assert min(a.ended for a in acked_after) - outage.up <= RECOVER_WITHIN
        assert dispatched is not None, (
            f"no new order was projected and dispatched within {RECOVER_WITHIN} s\n{detail()}"
        )

        # nothing acknowledged is lost; everything is projected and dispatched exactly once
        acknowledged = {r.attempts[-1].order_id for r in runs}
        assert len(acknowledged) == len(runs)
        assert placed_orders(url) == acknowledged
        everything_done = lambda: open_jobs(url) == 0 and set(order_statuses(url).values()) == {"allocated"}  # noqa: E731
        wait_until(everything_done, 60, "every order projected and allocated", detail)
        assert set(order_statuses(url)) == acknowledged
        effects = allocated_events_per_order(url)
        assert set(effects) == acknowledged
        assert set(effects.values()) == {1}
        assert all(stack.alive(name) for name in PROCESSES)
    finally:
        stack.stop_all()
