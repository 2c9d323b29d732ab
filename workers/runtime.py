"""Per-process worker runtime: the application, job ledger and read pool, built lazily after any fork."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

from infrastructure.bootstrap import Container, bootstrap
from infrastructure.jobs import JobLedger
from infrastructure.settings import Settings, get_settings


@dataclass
class Runtime:
    container: Container
    pool: ConnectionPool[Connection[Any]]
    ledger: JobLedger

    def close(self) -> None:
        self.pool.close()
        self.container.close()


_lock = threading.Lock()
_runtime: Runtime | None = None


def build_runtime(settings: Settings) -> Runtime:
    pool: ConnectionPool[Connection[Any]] = ConnectionPool(
        settings.require_database_url(), min_size=1, max_size=settings.shopops_pool_size, timeout=10, open=True
    )
    return Runtime(container=bootstrap(settings), pool=pool, ledger=JobLedger(pool))


def get_runtime() -> Runtime:
    global _runtime  # noqa: PLW0603 - one runtime per process, created on first use
    with _lock:
        if _runtime is None:
            _runtime = build_runtime(get_settings())
        return _runtime


def install_runtime(runtime: Runtime) -> None:
    """Use an already-built runtime (tests, `shopops up` with the in-process broker)."""
    global _runtime  # noqa: PLW0603
    with _lock:
        _runtime = runtime
