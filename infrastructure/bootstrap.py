"""The composition root: the only place that builds settings into applications, pools and the broker.

Every process (API, workers, relay, projections, CLI commands) and every test gets what it needs from here;
no other module opens a database pool or reads the environment. Build a container after any fork
(eventsourcing is not fork-safe), and close it when done (`with bootstrap(...) as container:`)."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

import asyncpg
import dramatiq
from eventsourcing.postgres import PostgresFactory
from psycopg import Connection
from psycopg_pool import ConnectionPool

from application.shopops import ShopOps
from domain.ticket import configure_sla
from infrastructure.identity.personal_data import PostgresVault
from infrastructure.jobs.broker import make_broker
from infrastructure.settings import Settings, get_settings

Pool = ConnectionPool[Connection[Any]]
# eventsourcing tries every recorder call up to 10 times, 0.2 s apart, on OperationalError (its own `@retry`).
RECORDER_ATTEMPTS = 10


@dataclass
class Container:
    """Everything a process needs; one per process."""

    settings: Settings
    app: ShopOps
    pool: Pool

    def close(self) -> None:
        self.app.close()
        self.pool.close()

    def __enter__(self) -> Container:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def bootstrap(settings: Settings | None = None, *, pool_size: int | None = None) -> Container:
    """The ShopOps application and a psycopg pool of at most `pool_size` connections (default
    SHOPOPS_APP_POOL_SIZE; for read models, the job ledger and the personal-data vault); the event store keeps
    its own pool inside the application (SHOPOPS_POOL_SIZE + SHOPOPS_POOL_MAX_OVERFLOW)."""
    settings = settings or get_settings()
    pool_size = pool_size or settings.shopops_app_pool_size
    if settings.shopops_sla_policy:
        configure_sla(settings.shopops_sla_policy)
    app = ShopOps(env=settings.eventsourcing_env())
    app.retries = settings.shopops_command_retries
    app.refund_approval_above = settings.shopops_refund_approval_above
    pool: Pool = ConnectionPool(
        settings.require_database_url(),
        min_size=1,
        max_size=pool_size,
        timeout=settings.shopops_pool_timeout_seconds,
        open=True,
    )
    app.vault = PostgresVault(pool)
    return Container(settings=settings, app=app, pool=pool)


def answer_outages_fast(container: Container) -> None:
    """For the API: each recorder attempt waits the event-store pool's timeout for a connection; share the
    timeout out over the attempts, so a command gives up on an unreachable database within it (10 × (0.1 +
    0.2) s = 3 s for 5 s; K4: 503 within 5 s) instead of ten times it. A connect that is slow under load is
    no failure: the next attempt takes the connection the pool made meanwhile. Workers, relay and
    projections keep the longer patience: they have no one waiting on an answer."""
    factory = container.app.factory
    assert isinstance(factory, PostgresFactory), "the event store is PostgreSQL"  # noqa: S101 - wiring
    factory.datastore.pool.timeout = max(
        0.05, container.settings.shopops_pool_timeout_seconds / (5 * RECORDER_ATTEMPTS)
    )


async def open_read_pool(settings: Settings) -> asyncpg.Pool:
    """The API's asyncpg pool for read models, idempotency keys and logins; queries time out rather than
    hang (K4)."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        settings.require_database_url(),
        min_size=1,
        max_size=settings.shopops_read_pool_size,
        timeout=settings.shopops_pool_timeout_seconds,
        command_timeout=max(5.0, settings.shopops_min_position_timeout_seconds * 2),
    )
    return pool


def open_broker(settings: Settings) -> dramatiq.Broker:
    """Redis when REDIS_URL is set, otherwise the in-process stub broker (D8); every queue declared."""
    return make_broker(settings.redis_url)
