"""The Dramatiq broker and the queues: one queue per kind of work, each with its own time limit, so a night's
forecast batches can never sit in front of order dispatch (D5, style.md "one queue per kind of work").

Redis when REDIS_URL is set, otherwise an in-process stub broker (D8). Messages carry only job ids; the job
ledger in PostgreSQL is the source of truth, so losing the broker's contents loses no work (the relay's
sweeper re-sends)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker


@dataclass(frozen=True)
class Queue:
    """A Dramatiq queue for one kind of work: its actor, time limit and priority within a shared worker."""

    name: str
    time_limit_ms: int
    priority: int = 0  # lower runs first when queues share a worker's threads

    @property
    def actor_name(self) -> str:
        return f"run_{self.name}_job"


QUEUES: dict[str, Queue] = {
    queue.name: queue
    for queue in (
        Queue("dispatch", time_limit_ms=60_000, priority=0),
        Queue("tickets", time_limit_ms=60_000, priority=10),
        Queue("reorder", time_limit_ms=120_000, priority=20),
        Queue("alerts", time_limit_ms=60_000, priority=25),
        Queue("outbound", time_limit_ms=120_000, priority=30),
        Queue("money", time_limit_ms=300_000, priority=35),
        Queue("forecasts", time_limit_ms=900_000, priority=40),
    )
}

# Which queue each job kind runs on; a kind not named here fails loudly in `queue_for` rather than landing on
# some queue by accident.
KIND_QUEUES: dict[str, str] = {
    "dispatch": "dispatch",
    "fill_backorders": "dispatch",
    "triage": "tickets",
    "assign_waiting": "tickets",
    "escalate": "tickets",
    "ticket_model_retrain": "tickets",
    "reorder": "reorder",
    "forecast_refresh": "forecasts",
    "forecast_batch": "forecasts",
    "alert_evaluate": "alerts",
    "alert_notify": "alerts",
    "alert_webhook": "outbound",
    "hold_expire": "dispatch",  # held units go back on sale within seconds of their time
    "unpaid_cancel": "dispatch",
    "channel_push": "outbound",
    "fulfilment_push": "outbound",
    "reconcile": "money",
    "unmatched_payments": "money",
}

# Worker lanes: queues that share one Dramatiq worker (and its threads) inside a worker process. Long work
# gets a lane of its own, so it can occupy only its own threads.
LANES: tuple[tuple[str, ...], ...] = (
    ("dispatch", "tickets", "reorder", "alerts", "money"),
    ("outbound",),
    ("forecasts",),
)


class JobRef(int):
    """A job id that also knows its kind (so the message goes to the kind's queue); compares as the id."""

    kind: str

    def __new__(cls, job_id: int, kind: str) -> JobRef:
        ref = super().__new__(cls, job_id)
        ref.kind = kind
        return ref


def queue_for(kind: str) -> Queue:
    if kind.startswith("fault:"):  # the crash tests' injected kinds run where dispatch runs, or where asked
        return QUEUES[kind.split(":")[2]] if kind.count(":") == 2 else QUEUES["dispatch"]
    try:
        return QUEUES[KIND_QUEUES[kind]]
    except KeyError:
        raise LookupError(f"job kind {kind!r} has no queue: add it to KIND_QUEUES") from None


def make_broker(redis_url: str | None) -> dramatiq.Broker:
    broker: dramatiq.Broker = RedisBroker(url=redis_url) if redis_url else StubBroker()  # type: ignore[no-untyped-call]
    for queue in QUEUES.values():
        broker.declare_queue(queue.name)
    dramatiq.set_broker(broker)
    return broker


def job_message(job: JobRef) -> dramatiq.Message[None]:
    queue = queue_for(job.kind)
    return dramatiq.Message(
        queue_name=queue.name, actor_name=queue.actor_name, args=(int(job),), kwargs={}, options={}
    )


def enqueuer(broker: dramatiq.Broker) -> Callable[[Iterable[JobRef]], None]:
    def enqueue(jobs: Iterable[JobRef]) -> None:
        for job in jobs:
            broker.enqueue(job_message(job))

    return enqueue
