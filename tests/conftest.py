"""Shared fixtures: a real PostgreSQL database created and migrated for the test session (never mocked).

TEST_DATABASE_ADMIN_URL names the server (default: postgresql://postgres@127.0.0.1:5432/postgres). When the
server cannot be reached the tests fail loudly; they never skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from infrastructure.bootstrap import Container, bootstrap
from infrastructure.eventstore.migrate import migrate
from infrastructure.settings import Settings

# The nightly forecast refresh would add jobs to every relay a test starts; tests that want it turn it on.
os.environ.setdefault("SHOPOPS_FORECAST_REFRESH_AT", "")
# Likewise the scheduled alert evaluation (tests of alerts evaluate on purpose).
os.environ.setdefault("SHOPOPS_ALERT_EVALUATE_SECONDS", "0")
os.environ.setdefault("SHOPOPS_TICKET_RETRAIN_AT", "")  # likewise the daily classifier retraining
ADMIN_URL = os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

# Every table in schema public but yoyo's bookkeeping: data tables are emptied between tests by `clean_db`,
# `*_tracking` tables keep only the row the migrations wrote (application `__migration__`).
TABLES_SQL = (
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
    "AND tablename NOT LIKE '\\_yoyo%' AND tablename <> 'yoyo_lock' ORDER BY tablename"
)
MIGRATION_ROW = "__migration__"


def _url_for(dbname: str) -> str:
    return urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{dbname}"))


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh database for this test session, migrated from zero with `shopops migrate`'s code."""
    try:
        psycopg.connect(ADMIN_URL, connect_timeout=5).close()
    except psycopg.OperationalError as error:  # fail, never skip: CI must see a missing PostgreSQL
        pytest.fail(f"PostgreSQL is unreachable at {ADMIN_URL}: {error}", pytrace=False)
    dbname = f"shopops_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = _url_for(dbname)
    migrate(url)
    yield url
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        shopops_secret_key="test-secret-key-with-at-least-32-bytes!",
        shopops_pool_size=4,
        shopops_pool_max_overflow=4,
        shopops_read_pool_size=4,
    )


@pytest.fixture
def clean_db(database_url: str) -> str:
    """Empty every data table and reset projection tracking before the test."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # as superuser: skip the append-only triggers
        tables = [row[0] for row in conn.execute(TABLES_SQL)]
        tracking = [t for t in tables if t.endswith("_tracking")]
        data = [t for t in tables if t not in tracking]
        conn.execute(
            sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(sql.SQL(", ").join(map(sql.Identifier, data)))
        )
        for table in tracking:
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE application_name <> %s").format(sql.Identifier(table)), (MIGRATION_ROW,)
            )
    return database_url


@pytest.fixture
def container(settings: Settings, clean_db: str) -> Iterator[Container]:
    c = bootstrap(settings)
    yield c
    c.close()
