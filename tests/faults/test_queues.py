"""One queue per kind of work: long forecast work cannot hold up order dispatch (issue 9, item 5)."""

from __future__ import annotations

import psycopg
from dramatiq.brokers.redis import RedisBroker
from psycopg_pool import ConnectionPool

from application.reactions import JobSpec
from infrastructure.bootstrap import Container
from infrastructure.jobs.broker import job_message, queue_for
from infrastructure.jobs.ledger import JobLedger
from tests.faults.conftest import Stack
from tests.faults.test_workers import place, seed
from tests.waiting import wait_until

HOLD_SECONDS = 90


def statuses(url: str, kind: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT status FROM jobs WHERE kind = %s", (kind,)).fetchall()]


def test_orders_are_dispatched_while_long_forecast_jobs_occupy_the_forecasts_queue(
    container: Container, stack: Stack, redis_url: str
) -> None:
    assert queue_for("forecast_batch").name == "forecasts"
    assert queue_for("dispatch").name == "dispatch"
    stack.env["SHOPOPS_JOB_LEASE_SECONDS"] = "300"  # the held jobs run long on purpose; no re-delivery
    seed(container, 100)
    url = stack.env["DATABASE_URL"]
    with ConnectionPool(url, min_size=1, max_size=2) as pool:
        # More long jobs than the worker has threads in all: with one shared queue they would take every thread.
        held = JobLedger(pool).schedule(
            [JobSpec("fault:hold:forecasts", f"hold-{n}", {"seconds": HOLD_SECONDS}) for n in range(6)]
        )
    broker = RedisBroker(url=redis_url)  # type: ignore[no-untyped-call]
    for job in held:
        broker.enqueue(job_message(job))
    stack.start("worker")
    wait_until(lambda: "running" in statuses(url, "fault:hold:forecasts"), 60, "a long job running", stack.log_tail)
    for name in ("projections", "relay"):
        stack.start(name)

    orders = place(container, 20, "queues")

    wait_until(
        lambda: {container.app.order(o).status for o in orders} == {"allocated"},
        60,
        "orders dispatched",
        stack.log_tail,
    )
    assert statuses(url, "dispatch").count("done") == 20
    assert "done" not in statuses(url, "fault:hold:forecasts"), "dispatch finished while the long jobs still ran"
