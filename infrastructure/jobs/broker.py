"""The Dramatiq broker: Redis when REDIS_URL is set, otherwise an in-process stub broker (D8).

Messages carry only job ids; the job ledger in PostgreSQL is the source of truth, so losing the broker's
contents loses no work (the relay's sweeper re-sends)."""

from __future__ import annotations

from collections.abc import Callable

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

JOBS_QUEUE = "jobs"
RUN_JOB = "run_job"


def make_broker(redis_url: str | None) -> dramatiq.Broker:
    broker: dramatiq.Broker = RedisBroker(url=redis_url) if redis_url else StubBroker()  # type: ignore[no-untyped-call]
    broker.declare_queue(JOBS_QUEUE)
    dramatiq.set_broker(broker)
    return broker


def job_message(job_id: int) -> dramatiq.Message[None]:
    return dramatiq.Message(queue_name=JOBS_QUEUE, actor_name=RUN_JOB, args=(job_id,), kwargs={}, options={})


def enqueuer(broker: dramatiq.Broker) -> Callable[[list[int]], None]:
    def enqueue(job_ids: list[int]) -> None:
        for job_id in job_ids:
            broker.enqueue(job_message(job_id))

    return enqueue
