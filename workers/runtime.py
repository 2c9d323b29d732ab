"""Per-process worker runtime: the application, job ledger and read pool, built lazily after any fork."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

from infrastructure.bootstrap import Container, bootstrap
from infrastructure.jobs.ledger import JobLedger
from infrastructure.readmodels.tracking import wait_for_projection
from infrastructure.settings import Settings, get_settings


@dataclass
class Runtime:
    container: Container
    pool: ConnectionPool[Connection[Any]]
    ledger: JobLedger

    def wait_for_projection(self, name: str, position: int, timeout: float = 10.0) -> None:
        """Wait until a read model has seen `position`, so a decision based on it overlooks nothing earlier."""
        wait_for_projection(self.pool, name, position, timeout)

    def close(self) -> None:
        self.container.close()


_lock = threading.Lock()
_runtime: Runtime | None = None


def build_runtime(settings: Settings) -> Runtime:
    container = bootstrap(settings)
    return Runtime(
        container=container,
        pool=container.pool,
        ledger=JobLedger(container.pool, settings.shopops_job_lease_seconds),
    )


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
