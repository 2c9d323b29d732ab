"""Process entry points: `worker` (runs the actors), `relay` (log → job ledger → broker), and `inprocess`
(both in one process with the stub broker, for `shopops up` without REDIS_URL)."""

from __future__ import annotations

import logging
import signal
import sys
import threading

from dramatiq import Worker

from infrastructure.jobs.broker import JOBS_QUEUE, enqueuer
from infrastructure.jobs.relay import Relay
from infrastructure.settings import get_settings
from workers.actors import run_job
from workers.broker import broker
from workers.channels import channel_drift_jobs, channel_push_jobs
from workers.forecasts import scheduled_refresh
from workers.holds import HOLD_LOOKAHEAD_SECONDS, hold_expiry_jobs, unpaid_order_jobs
from workers.runtime import get_runtime
from workers.tickets import sla_breach_jobs


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def start_worker(threads: int) -> Worker:
    """Consume the jobs queue (`run_job` is declared on the broker by importing it)."""
    assert run_job.actor_name in broker.get_declared_actors()  # noqa: S101 - a wiring invariant
    worker = Worker(broker, queues={JOBS_QUEUE}, worker_threads=threads, worker_timeout=100)
    worker.start()
    return worker


def run_relay(stop: threading.Event) -> None:
    runtime = get_runtime()
    settings = runtime.container.settings
    relay = Relay(
        runtime.container.app,
        runtime.ledger,
        enqueuer(broker),
        sweep_seconds=settings.shopops_relay_sweep_seconds,
        stale_seconds=settings.shopops_relay_stale_seconds,
        periodic=[
            lambda: sla_breach_jobs(runtime.pool),
            lambda: scheduled_refresh(settings),
            lambda: hold_expiry_jobs(runtime.pool, HOLD_LOOKAHEAD_SECONDS),
            lambda: unpaid_order_jobs(runtime.pool, settings),
            lambda: channel_push_jobs(runtime.pool),
            lambda: channel_drift_jobs(runtime.pool, settings),
        ],
    )
    relay.run(stop)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    role = argv[0] if argv else "inprocess"
    threads = get_settings().shopops_worker_threads
    stop = _stop_on_signals()
    worker = start_worker(threads) if role in ("worker", "inprocess") else None
    if role in ("relay", "inprocess"):
        run_relay(stop)
    else:
        stop.wait()
    if worker is not None:
        worker.stop(timeout=10_000)
    get_runtime().close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
