"""The composition root: builds settings and the ShopOps application for the API, CLI, workers and tests."""

from __future__ import annotations

from dataclasses import dataclass

from application.shopops import ShopOps
from infrastructure.settings import Settings, get_settings


@dataclass
class Container:
    """Everything a process needs; one per process, built after any fork (eventsourcing is not fork-safe)."""

    settings: Settings
    app: ShopOps

    def close(self) -> None:
        self.app.close()


def bootstrap(settings: Settings | None = None) -> Container:
    settings = settings or get_settings()
    app = ShopOps(env=settings.eventsourcing_env())
    app.retries = settings.shopops_command_retries
    return Container(settings=settings, app=app)
