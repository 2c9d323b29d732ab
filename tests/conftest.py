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

from infrastructure.bootstrap import Container, bootstrap
from infrastructure.eventstore.migrate import migrate
from infrastructure.settings import Settings

# The nightly forecast refresh would add jobs to every relay a test starts; tests that want it turn it on.
os.environ.setdefault("SHOPOPS_FORECAST_REFRESH_AT", "")
ADMIN_URL = os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

# Tables holding data (everything but yoyo's bookkeeping); emptied between tests by `clean_db`.
DATA_TABLES = (
    "shopops_events",
    "order_summary_lines",
    "order_summary",
    "stock_levels",
    "stock_transfers",
    "replenishments",
    "audit_timeline",
    "customer_keys",
    "pii_access_log",
    "ticket_queue",
    "ticket_agents",
    "product_catalog",
    "warehouse_list",
    "customer_profile",
    "api_users",
    "idempotency_keys",
    "jobs",
    "audit_chain",
    "audit_checkpoints",
    "sales_daily",
    "sales_order_lines",
    "sales_imported",
    "sales_imports",
    "forecast_runs",
    "forecasts",
    "forecast_run_batches",
    # channels (issue 11)
    "holds",
    "channels",
    "channel_stock",
    "available_to_sell",
    "channel_pushes",
    "channel_sync",
    "channel_fulfilments",
)
TRACKING_TABLES = (
    "order_summary_tracking",
    "stock_levels_tracking",
    "ticket_queue_tracking",
    "product_catalog_tracking",
    "warehouse_list_tracking",
    "customer_profile_tracking",
    "relay_tracking",
    "audit_timeline_tracking",
    "sales_history_tracking",
    # channels (issue 11)
    "holds_tracking",
    "available_to_sell_tracking",
)


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
        conn.execute(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")
        for table in TRACKING_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE application_name <> '__migration__'")  # noqa: S608 - fixed names
    return database_url


@pytest.fixture
def container(settings: Settings, clean_db: str) -> Iterator[Container]:
    c = bootstrap(settings)
    yield c
    c.close()
