"""Running the projections: `run_projections` (one ordered reader per read model, each in its own thread,
restarted after errors) and `rebuild` (from zero, with progress). `shopops projections [NAME ...]` runs them
until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial

from application.shopops import ShopOps
from infrastructure.bootstrap import Container, bootstrap
from infrastructure.readmodels.base import Projector
from infrastructure.readmodels.log_listener import LogListener
from infrastructure.readmodels.registry import PROJECTIONS
from infrastructure.settings import Settings

__all__ = ["PROJECTIONS", "rebuild", "run_projections"]

log = logging.getLogger("shopops.projections")

POLL_SECONDS = 0.05  # between reads of the log's head while no LISTEN connection wakes the runners
SAFETY_POLL_SECONDS = 1.0  # while one does (a notification is never relied on alone)
RUN_BATCH = 500
REBUILD_BATCH = 2000
CHANNEL = f"{ShopOps.name}_events"  # the library NOTIFYs the events table's name on every insert


def _projectors(
    settings: Settings, names: list[str] | None, batch_size: int = RUN_BATCH
) -> tuple[list[Projector], Container]:
    unknown = sorted(set(names or ()) - PROJECTIONS.keys())
    if unknown:
        raise ValueError(f"unknown projection(s) {unknown}; known: {sorted(PROJECTIONS)}")
    container = bootstrap(settings, pool_size=len(PROJECTIONS) + 1)
    chosen = [PROJECTIONS[n] for n in names] if names else list(PROJECTIONS.values())
    return [Projector(container.app, container.pool, p, batch_size) for p in chosen], container


def run_projections(settings: Settings, names: list[str] | None = None, stop: threading.Event | None = None) -> None:
    """Run the projections until `stop` is set; each follows the log from its own tracked position, in its
    own thread, woken by the event store's NOTIFY. A thread that dies is logged and restarted."""
    stop = stop or threading.Event()
    projectors, container = _projectors(settings, names)
    wakes = [threading.Event() for _ in projectors]
    listener = LogListener(settings.require_database_url(), CHANNEL, wakes)

    def idle() -> float:
        return SAFETY_POLL_SECONDS if listener.listening.is_set() else POLL_SECONDS

    tasks: dict[str, Callable[[], None]] = {"log-listener": partial(listener.run, stop)}
    for projector, wake in zip(projectors, wakes, strict=True):
        tasks[f"projection-{projector.projection.name}"] = partial(projector.run, stop, wake, idle)
    threads: list[threading.Thread] = []
    log.info("running projections %s", ", ".join(p.projection.name for p in projectors))
    try:
        threads = _supervise(tasks, stop)
    finally:
        stop.set()
        listener.wake_all()
        for thread in threads:
            thread.join(timeout=10)
        container.close()


def _supervise(tasks: dict[str, Callable[[], None]], stop: threading.Event) -> list[threading.Thread]:
    """Start every task in a thread and restart (after a second) any that dies, until `stop`."""
    threads = {name: _start(name, task) for name, task in tasks.items()}
    while not stop.wait(1.0):
        for name, thread in list(threads.items()):
            if not thread.is_alive():
                log.error("%s stopped unexpectedly; restarting it", name)
                threads[name] = _start(name, tasks[name])
    return list(threads.values())


def _start(name: str, task: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=task, name=name, daemon=True)
    thread.start()
    return thread


def rebuild(
    settings: Settings, name: str | None = None, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Empty the read model(s) and replay the log from zero to its head as of the start; returns the events
    each projection handled. `progress(name, position reached, head)` follows each batch. Stop the
    runner of those read models first (if it runs, tracking's compare-and-set keeps rows consistent)."""
    projectors, container = _projectors(settings, [name] if name else None, batch_size=REBUILD_BATCH)
    try:
        total = container.app.position()
        done: dict[str, int] = {}
        for projector in projectors:
            projection = projector.projection.name
            projector.reset()
            done[projection] = projector.catch_up(total, _reporter(progress, projection, total))
        return done
    finally:
        container.close()


def _reporter(progress: Callable[[str, int, int], None] | None, name: str, total: int) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda position: progress(name, position, total)
