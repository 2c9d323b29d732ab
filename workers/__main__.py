"""The jobs process: `python -m workers worker [--queues a,b]` (runs the actors), `relay` (log → job ledger →
broker), and `inprocess` (both in one process with the stub broker, for `shopops up` without REDIS_URL)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from dramatiq import Worker

from infrastructure.jobs.broker import LANES, QUEUES, enqueuer
from infrastructure.jobs.relay import Relay
from infrastructure.settings import Settings
from workers.actors import ACTORS, install_fault_injection
from workers.broker import broker
from workers.channels import channel_drift_jobs, channel_push_jobs
from workers.forecasts import scheduled_refresh
from workers.holds import HOLD_LOOKAHEAD_SECONDS, hold_expiry_jobs, unpaid_order_jobs
from workers.insight import alert_evaluation_jobs
from workers.money import unmatched_payment_jobs
from workers.runtime import get_runtime
from workers.ticket_models import scheduled_retrain
from workers.tickets import sla_breach_jobs, warm_classifier


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def start_workers(settings: Settings, queues: set[str]) -> list[Worker]:
    """One Dramatiq worker per lane of the selected queues, each with its own threads, so a lane of long
    jobs (forecast batches, pushes to outside systems) can never occupy the threads order dispatch needs."""
    assert all(ACTORS[q].actor_name in broker.get_declared_actors() for q in queues)  # noqa: S101 - wiring
    threads = {"forecasts": settings.shopops_forecast_worker_threads, "outbound": settings.shopops_outbound_threads}
    workers = []
    for lane in LANES:
        selected = queues.intersection(lane)
        if selected:
            count = threads.get(lane[0], settings.shopops_worker_threads)
            worker = Worker(broker, queues=selected, worker_threads=count, worker_timeout=100)
            worker.start()
            workers.append(worker)
    return workers


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
            lambda: alert_evaluation_jobs(settings),
            lambda: unmatched_payment_jobs(settings),  # money
            lambda: scheduled_retrain(settings),
            lambda: hold_expiry_jobs(runtime.pool, HOLD_LOOKAHEAD_SECONDS),
            lambda: unpaid_order_jobs(runtime.pool, settings),
            lambda: channel_push_jobs(runtime.pool),
            lambda: channel_drift_jobs(runtime.pool, settings),
        ],
    )
    relay.run(stop)


def _queues(value: str) -> set[str]:
    chosen = {q.strip() for q in value.split(",") if q.strip()}
    unknown = chosen - QUEUES.keys()
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"queues must be among {', '.join(QUEUES)}; got {value!r}")
    return chosen


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers")
    parser.add_argument("role", nargs="?", default="inprocess", choices=("worker", "relay", "inprocess"))
    parser.add_argument("--queues", type=_queues, default=set(QUEUES), help="comma-separated (default: all)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_runtime().container.settings
    if settings.shopops_fault_injection:
        install_fault_injection()
    stop = _stop_on_signals()
    workers = start_workers(settings, args.queues) if args.role in ("worker", "inprocess") else []
    if workers and "tickets" in args.queues:  # the classifier trains at start, so the first ticket does not wait
        threading.Thread(target=warm_classifier, name="classifier-warm-up", daemon=True).start()
    if args.role in ("relay", "inprocess"):
        run_relay(stop)
    else:
        stop.wait()
    for worker in workers:
        worker.stop(timeout=10_000)
    get_runtime().close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
