"""The runtime role appends and reads events through the application but can never change or remove them."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest
from eventsourcing.cipher import AESCipher

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


def test_with_a_cipher_key_event_state_is_encrypted_at_rest_and_reads_back(settings: Settings, clean_db: str) -> None:
    encrypted = settings.model_copy(update={"cipher_key": AESCipher.create_key(32)})
    container = bootstrap(encrypted)
    try:
        container.app.put_warehouse("SECRET-WH", "Hidden Valley Depot", "eu", META)
        assert container.app.warehouse("SECRET-WH").name == "Hidden Valley Depot"
    finally:
        container.close()
    with psycopg.connect(clean_db) as conn:
        row = conn.execute("SELECT state FROM shopops_events").fetchone()
    assert row is not None
    assert b"Hidden Valley" not in bytes(row[0])
