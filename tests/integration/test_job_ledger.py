"""The relay and job ledger against real PostgreSQL: one job per event that needs work, tracked with the
relay position, claimed with leases, attempts counted in Postgres, poison jobs parked, lost messages re-sent."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from psycopg import Connection
from psycopg_pool import ConnectionPool

from application.reactions import JobSpec
from domain.base import Actor, Meta
from infrastructure.bootstrap import Container
from infrastructure.jobs.ledger import JobLedger
from infrastructure.jobs.relay import Relay
from tests.waiting import wait_until

META = Meta(actor=Actor("tester", "admin"), correlation_id="req-42")


@pytest.fixture
def ledger(clean_db: str) -> Iterator[JobLedger]:
    pool: ConnectionPool[Connection[Any]] = ConnectionPool(clean_db, min_size=1, max_size=4, open=True)
    yield JobLedger(pool, lease_seconds=0.2)
    pool.close()


def lease_expired(ledger: JobLedger, job_id: int) -> bool:
    """Whether the job's lease is over by the database's clock (the one the ledger decides by)."""
    with ledger.pool.connection() as conn:
        row = conn.execute("SELECT lease_until < now() FROM jobs WHERE id = %s", (job_id,)).fetchone()
    return bool(row and row[0])


def place_orders(container: Container, count: int) -> None:
    app = container.app
    app.put_warehouse("W1", "Main", "eu", META)
    app.put_product("A", "Widget", "tools", Decimal("1.00"), "EUR", 3, META)
    for i in range(count):
        app.place_order(
            "web",
            f"o{i}",
            {"id": "c1"},
            [{"sku": "A", "quantity": 1, "unit_price": Decimal(1), "currency": "EUR"}],
            META,
        )


def test_the_relay_writes_one_dispatch_job_per_placed_order_and_sends_its_id(
    container: Container, ledger: JobLedger
) -> None:
    place_orders(container, 5)
    sent: list[int] = []
    relay = Relay(container.app, ledger, sent.extend, batch_size=3)
    while relay.step():
        pass
    jobs = ledger.list_jobs()
    assert sorted(j["kind"] for j in jobs) == ["dispatch"] * 5
    assert sorted(sent) == sorted(j["id"] for j in jobs)
    assert ledger.relay_position() == container.app.position()
    assert relay.step() == 0  # restart-safe: nothing is relayed twice


def test_a_job_is_claimed_once_while_leased_and_a_duplicate_delivery_does_nothing(
    container: Container, ledger: JobLedger
) -> None:
    place_orders(container, 1)
    Relay(container.app, ledger, lambda _ids: None).step()
    job_id = ledger.list_jobs()[0]["id"]
    job = ledger.claim(job_id)
    assert job is not None
    assert job.correlation_id == "req-42"
    assert ledger.claim(job_id) is None
    ledger.complete(job, {"ok": True})
    assert ledger.claim(job_id) is None
    assert ledger.list_jobs("done")[0]["attempts"] == 1


def test_a_job_whose_worker_keeps_dying_is_parked_after_three_attempts_and_can_be_retried(
    container: Container, ledger: JobLedger
) -> None:
    place_orders(container, 1)
    relay = Relay(container.app, ledger, lambda _ids: None, stale_seconds=0)
    relay.step()
    job_id = ledger.list_jobs()[0]["id"]
    for _ in range(3):
        assert ledger.claim(job_id) is not None  # the worker takes it and dies: the lease runs out
        wait_until(lambda: lease_expired(ledger, job_id), 5, f"the lease on job {job_id} to run out")
    again, parked = ledger.sweep(stale_seconds=0)
    assert parked == [job_id]
    assert again == []
    assert ledger.stats()["parked"] == 1
    assert ledger.retry_parked() == [job_id]
    assert ledger.claim(job_id) is not None


def test_the_sweeper_resends_jobs_whose_messages_were_lost(container: Container, ledger: JobLedger) -> None:
    place_orders(container, 3)

    def broker_down(ids: list[int]) -> None:
        raise ConnectionError("redis is down")

    relay = Relay(container.app, ledger, broker_down, stale_seconds=0)
    relay.step()  # jobs are recorded although the broker refused them
    resent: list[int] = []
    relay.enqueue = resent.extend
    relay.sweep()
    assert sorted(resent) == sorted(j["id"] for j in ledger.list_jobs())


def test_a_waiting_state_check_answers_newer_causes_until_it_starts(ledger: JobLedger) -> None:
    """Reorder checks coalesce: while one for a stock waits, newer causes move its cause position forward
    (it will wait for the read models to reach the newest); once it runs, a newer cause gets a job of its own.
    Dispatch jobs never coalesce."""
    check = JobSpec("reorder", "stock-1", {"stock_id": "stock-1"})
    first = ledger.record(10, [(8, None, check), (9, None, check), (10, None, check)])
    assert len(first) == 1
    assert ledger.record(11, [(11, None, check)]) == []
    job = ledger.claim(int(first[0]))
    assert job is not None
    assert job.cause_position == 11
    again = ledger.record(12, [(12, None, check)])
    assert len(again) == 1
    assert int(again[0]) != int(first[0])
    orders = [(13, None, JobSpec("dispatch", "o1", {"order_id": "o1"})), (14, None, JobSpec("dispatch", "o1", {}))]
    assert len(ledger.record(14, orders)) == 2
