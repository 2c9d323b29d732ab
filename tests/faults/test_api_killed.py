"""K1 (reliability.md): the API process SIGKILLed 5 times while clients place ~20 orders/s with Idempotency-Key
headers and retry every unanswered request with the same key, as a supervisor restarts the API each time.
Every acknowledged order exists exactly once; every answer for a key names the same order."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import psycopg
import pytest

from infrastructure.bootstrap import Container
from infrastructure.identity.users import add_user
from tests.faults.conftest import Stack
from tests.faults.order_clients import OrderClients, OrderRun
from tests.faults.test_workers import seed
from tests.waiting import wait_until

RATE = 20.0  # orders per second (reliability.md)
USER, PASSWORD = "k1-storefront", "k1-storefront-password"


def placed_events(url: str) -> Counter[str]:
    """Order id -> how many `Order.Placed` events the event store holds for it."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT originator_id FROM shopops_events WHERE topic = 'shopops.order.placed'").fetchall()
    return Counter(str(row[0]) for row in rows)


def summary_rows(url: str) -> Counter[str]:
    with psycopg.connect(url) as conn:
        return Counter(str(row[0]) for row in conn.execute("SELECT id FROM order_summary").fetchall())


def open_claims(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM idempotency_keys WHERE state <> 'done'").fetchone()
    return int(row[0]) if row else -1


async def kill_under_load(stack: Stack, seconds: float, kills: int) -> tuple[list[OrderRun], list[OrderRun]]:
    """Run the load, kill and restart the API `kills` times spread over it; then send every order's request
    once more with its key (a late client retry). Returns (the runs, the late retries)."""
    rng = random.Random(14)
    async with OrderClients(stack.api_url, "k1", ["A"], give_up_after=seconds + 300) as clients:
        await clients.log_in(USER, PASSWORD)
        load = asyncio.create_task(clients.paced(RATE, seconds))
        gap = seconds / (kills + 1)
        for _ in range(kills):
            await asyncio.sleep(gap * rng.uniform(0.7, 1.0))  # the kill schedule of the scenario
            stack.kill("api")
            stack.start("api")  # as the supervisor would (it restarts after a short back-off)
            await asyncio.to_thread(stack.wait_for_api)
        runs = await load
        late = [OrderRun(run.key, run.body) for run in runs]
        for retry, answer in zip(late, await asyncio.gather(*(clients.send(r) for r in late)), strict=True):
            retry.attempts.append(answer)
    return runs, late


@pytest.mark.parametrize(
    ("seconds", "kills"),
    [
        pytest.param(30.0, 5, id="bounded", marks=pytest.mark.timeout(900)),
        pytest.param(150.0, 5, id="full", marks=[pytest.mark.slow, pytest.mark.timeout(1800)]),
    ],
)
def test_k1_killing_the_api_under_load_loses_no_acknowledged_order_and_retries_get_the_same_order(
    container: Container, stack: Stack, seconds: float, kills: int
) -> None:
    url = stack.env["DATABASE_URL"]
    seed(container, 1_000_000)
    add_user(url, USER, PASSWORD, ["integration"])
    stack.start("projections")
    stack.start("api")
    stack.wait_for_api()

    runs, late = asyncio.run(kill_under_load(stack, seconds, kills))

    assert len(runs) >= RATE * seconds * 0.95
    unanswered = [r.attempts[-1] for r in runs if r.answer is None]
    assert not unanswered, f"{len(unanswered)} orders never got an answer, e.g. {unanswered[:3]}"
    assert all(r.acknowledged for r in runs), Counter((r.attempts[-1].status, r.attempts[-1].code) for r in runs)
    errors = [a for r in runs for a in r.attempts if a.status and a.status >= 500]
    assert not errors, f"{len(errors)} requests failed with a server error: {errors[:3]}"
    retried = [r for r in runs if len(r.attempts) > 1]
    assert retried, "no request was interrupted by the kills: the scenario did not test anything"
    ids = {r.key: r.attempts[-1].order_id for r in runs}
    assert len(set(ids.values())) == len(runs)  # one order per key, no two keys share one
    replayed = [(r.attempts[-1], retry.attempts[0]) for r, retry in zip(runs, late, strict=True)]
    differing = [
        (first, again)  # a later retry with the key replays the same answer: the same order
        for first, again in replayed
        if (again.status, again.replayed, again.order_id) != (first.status, True, first.order_id)
    ]
    assert not differing, f"{len(differing)} late retries answered differently, e.g. {differing[:2]}"
    assert all(a.order_id in (None, ids[r.key]) for r in runs for a in r.attempts)
    events = placed_events(url)
    assert events == Counter(ids.values())  # each acknowledged order exactly once, no order nobody asked for
    wait_until(lambda: summary_rows(url) == events, 30, "the read model to hold every order", stack.log_tail)
    assert open_claims(url) == 0
