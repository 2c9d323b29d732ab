"""The composition root: builds settings and the ShopOps application for the API, CLI, workers and tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

from application.shopops import ShopOps
from domain.ticket import configure_sla
from infrastructure.identity.personal_data import PostgresVault
from infrastructure.settings import Settings, get_settings


@dataclass
class Container:
    """Everything a process needs; one per process, built after any fork (eventsourcing is not fork-safe)."""

    settings: Settings
    app: ShopOps
    pool: ConnectionPool[Connection[Any]] | None = None

    def close(self) -> None:
        self.app.close()
        if self.pool is not None:
            self.pool.close()


def bootstrap(settings: Settings | None = None) -> Container:
    settings = settings or get_settings()
    if settings.shopops_sla_policy:
        configure_sla({k: (v[0], v[1]) for k, v in json.loads(settings.shopops_sla_policy).items()})
    app = ShopOps(env=settings.eventsourcing_env())
    app.retries = settings.shopops_command_retries
    app.refund_approval_above = settings.shopops_refund_approval_above
    pool: ConnectionPool[Connection[Any]] = ConnectionPool(
        settings.require_database_url(),
        min_size=1,
        max_size=4,
        timeout=settings.shopops_pool_timeout_seconds,
        open=True,
    )
    app.vault = PostgresVault(pool)
    return Container(settings=settings, app=app, pool=pool)
