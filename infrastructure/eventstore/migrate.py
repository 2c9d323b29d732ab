"""Schema migrations with yoyo-migrations: `shopops migrate` brings a database to the latest schema."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from yoyo import get_backend, read_migrations

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).parent / "versions"


def _yoyo_url(database_url: str) -> str:
    scheme, rest = database_url.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg"
    return f"{scheme}://{rest}"


def ensure_database(database_url: str) -> None:
    """Create the database named in the URL if the server lacks it (connects to `postgres` to do so)."""
    url = urlsplit(database_url)
    dbname = url.path.lstrip("/") or "postgres"
    try:
        psycopg.connect(database_url, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            raise
        admin = urlunsplit(url._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')  # identifier from our own configuration


def migrate(database_url: str) -> list[str]:
    """Apply pending migrations under yoyo's lock (safe to run again, and concurrently); returns their ids."""
    ensure_database(database_url)
    backend = get_backend(_yoyo_url(database_url))
    pending = read_migrations(str(MIGRATIONS_DIR))
    try:
        with backend.lock():
            todo = backend.to_apply(pending)
            backend.apply_migrations(todo)
    finally:
        backend.connection.close()  # `shopops up` keeps running: hold no connection for the migrations
    return [m.id for m in todo]
