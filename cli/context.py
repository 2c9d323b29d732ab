"""What every database command of the CLI starts from: validated settings and a container from the
composition root (a small pool; closed when the command ends)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from infrastructure.bootstrap import Container, bootstrap
from infrastructure.settings import Settings, get_settings


def settings() -> Settings:
    found = get_settings()
    if not found.database_url:
        raise click.ClickException("DATABASE_URL is not set (use `shopops up` for the embedded PostgreSQL)")
    return found


@contextmanager
def container(pool_size: int | None = None) -> Iterator[Container]:
    with bootstrap(settings(), pool_size=pool_size) as built:
        yield built
