"""Running the projections: `run_projections` (one ordered reader per read model, each in its own thread,
restarted after errors) and `rebuild` (from zero, with progress). `python -m infrastructure.projections.runner
[NAME ...]` runs them until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

from infrastructure.bootstrap import bootstrap
from infrastructure.projections.base import Projector
from infrastructure.projections.registry import PROJECTIONS
from infrastructure.settings import Settings, get_settings

log = logging.getLogger("shopops.projections")


def _projectors(settings: Settings, names: list[str] | None) -> tuple[list[Projector], Any, Any]:
    unknown = sorted(set(names or ()) - PROJECTIONS.keys())
    if unknown:
        raise ValueError(f"unknown projection(s) {unknown}; known: {sorted(PROJECTIONS)}")
    container = bootstrap(settings)
    pool: ConnectionPool[Connection[Any]] = ConnectionPool(
        settings.require_database_url(), min_size=1, max_size=len(PROJECTIONS) + 1, timeout=10, open=True
    )
    chosen = [PROJECTIONS[n] for n in names] if names else list(PROJECTIONS.values())
    return [Projector(container.app, pool, p) for p in chosen], container, pool


def run_projections(settings: Settings, names: list[str] | None = None, stop: threading.Event | None = None) -> None:
    """Run the projections until `stop` is set; each follows the log from its own tracked position."""
    stop = stop or threading.Event()
    projectors, container, pool = _projectors(settings, names)
    threads = [
        threading.Thread(target=p.run, args=(stop,), name=f"projection-{p.projection.name}", daemon=True)
        for p in projectors
    ]
    for thread in threads:
        thread.start()
    try:
        stop.wait()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        pool.close()
        container.close()


def rebuild(
    settings: Settings, name: str | None = None, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Empty the read model(s) and replay the whole log into them; returns events processed per projection.
    Run it with the projection runner for those read models stopped."""
    projectors, container, pool = _projectors(settings, [name] if name else None)
    try:
        total = container.app.position()
        done: dict[str, int] = {}
        for projector in projectors:
            projector_name = projector.projection.name
            projector.reset()
            report = (lambda n, pn=projector_name: progress(pn, n, total)) if progress else None
            done[projector_name] = projector.catch_up(report)
        return done
    finally:
        pool.close()
        container.close()


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    run_projections(get_settings(), argv or None, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
