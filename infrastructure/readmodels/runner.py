"""Running the projections: `run_projections` (the read models as one group with one reader, or a named
group of them, in a thread restarted after errors) and `rebuild` (from zero, with progress).
`shopops projections [NAME ...] [--group NAME]` runs them until SIGINT/SIGTERM.

A projections process holds at most `connections` PostgreSQL connections whatever the number of read models:
one LISTEN connection, one in the event store's pool (reading the log) and the rest (at least one) for
writing rows and tracking."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial

from application.shopops import ShopOps
from infrastructure.bootstrap import Container, bootstrap
from infrastructure.readmodels.group import ProjectionGroup
from infrastructure.readmodels.log_listener import LogListener
from infrastructure.readmodels.registry import GROUPS, PROJECTIONS
from infrastructure.settings import Settings

__all__ = ["DEFAULT_CONNECTIONS", "GROUPS", "PROJECTIONS", "rebuild", "run_projections"]

log = logging.getLogger("shopops.projections")

POLL_SECONDS = 0.05  # between reads of the log's head while no LISTEN connection wakes the runner
SAFETY_POLL_SECONDS = 1.0  # while one does (a notification is never relied on alone)
RUN_BATCH = 500
REBUILD_BATCH = 2000
CHANNEL = f"{ShopOps.name}_events"  # the library NOTIFYs the events table's name on every insert
DEFAULT_CONNECTIONS = 4  # LISTEN + reading the log + writing (2: one spare while a dead one is replaced)
MIN_CONNECTIONS = 3


def chosen(names: list[str] | None = None, group: str | None = None) -> list[str]:
    """The read models named, or those of `group`, or all; ValueError for an unknown name."""
    if group is not None and group not in GROUPS:
        raise ValueError(f"unknown projection group {group!r}; known: {sorted(GROUPS)}")
    unknown = sorted(set(names or ()) - PROJECTIONS.keys())
    if unknown:
        raise ValueError(f"unknown projection(s) {unknown}; known: {sorted(PROJECTIONS)}")
    picked = set(names or ()) | set(GROUPS[group] if group else ())
    return [name for name in PROJECTIONS if name in picked] if picked else list(PROJECTIONS)


def _group(
    settings: Settings, names: list[str], batch_size: int, connections: int
) -> tuple[ProjectionGroup, Container]:
    if connections < MIN_CONNECTIONS:
        raise ValueError(f"projections need at least {MIN_CONNECTIONS} connections (LISTEN, reading, writing)")
    one_reader = settings.model_copy(update={"shopops_pool_size": 1, "shopops_pool_max_overflow": 0})
    container = bootstrap(one_reader, pool_size=connections - 2)
    return ProjectionGroup(container.app, container.pool, [PROJECTIONS[n] for n in names], batch_size), container


def run_projections(
    settings: Settings,
    names: list[str] | None = None,
    stop: threading.Event | None = None,
    *,
    group: str | None = None,
    connections: int = DEFAULT_CONNECTIONS,
) -> None:
    """Run the read models (all, the `names`, or a `group`) until `stop` is set: one reader follows the log
    from their tracked positions, woken by the event store's NOTIFY, each event decoded once for all of
    them. A runner thread that dies is logged and restarted."""
    stop = stop or threading.Event()
    runner, container = _group(settings, chosen(names, group), RUN_BATCH, connections)
    wake = threading.Event()
    listener = LogListener(settings.require_database_url(), CHANNEL, [wake])

    def idle() -> float:
        return SAFETY_POLL_SECONDS if listener.listening.is_set() else POLL_SECONDS

    tasks: dict[str, Callable[[], None]] = {
        "log-listener": partial(listener.run, stop),
        "projections": partial(runner.run, stop, wake, idle),
    }
    threads: list[threading.Thread] = []
    log.info("running projections %s", runner.names)
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
    settings: Settings,
    name: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    *,
    connections: int = MIN_CONNECTIONS,
) -> dict[str, int]:
    """Empty the read model(s) and replay the log from zero to its head as of the start, all of them with one
    reader (each event decoded once); returns the events each projection handled. `progress(name, position
    reached, head)` follows each batch. Stop the runner of those read models first (if it runs, tracking's
    compare-and-set keeps rows consistent)."""
    names = chosen([name] if name else None)
    runner, container = _group(settings, names, REBUILD_BATCH, connections)
    runner.synchronous_commit = False  # a crash loses rows and tracking together: rebuild again
    try:
        total = container.app.position()
        runner.reset()
        runner.catch_up(total, _reporter(progress, names, total))
        return dict(runner.handled)
    finally:
        container.close()


def _reporter(
    progress: Callable[[str, int, int], None] | None, names: list[str], total: int
) -> Callable[[int], None] | None:
    if progress is None:
        return None

    def report(position: int) -> None:
        for name in names:
            progress(name, position, total)

    return report
