"""The runtime role appends and reads events through the application but can never change or remove them."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from domain.base import Actor, Meta
from infrastructure.bootstrap import bootstrap
from infrastructure.settings import Settings

META = Meta(actor=Actor("tester", "admin"), correlation_id="test")


def as_runtime_role(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://shopops_app@{rest.split('@', 1)[1]}"


def test_the_runtime_role_writes_through_the_application_but_cannot_alter_events(clean_db: str) -> None:
    url = as_runtime_role(clean_db)
    container = bootstrap(Settings(database_url=url))
    try:
        container.app.put_warehouse("W1", "Main", "eu", META)
        container.app.put_product("A", "Widget", "tools", Decimal("1.00"), "EUR", 3, META)
        assert container.app.receive_stock("A", "W1", 5, "po", META).aggregate.on_hand == 5
    finally:
        container.close()
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in (
            "UPDATE shopops_events SET topic = topic",
            "DELETE FROM shopops_events",
            "TRUNCATE shopops_events",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SET session_replication_role = replica")
        assert conn.execute("SELECT count(*) FROM shopops_events").fetchone() == (4,)
