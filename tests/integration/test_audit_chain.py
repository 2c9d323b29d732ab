"""Tamper evidence (A3) against real PostgreSQL: tampering done as a superuser directly in the database is
found at its position by recomputing the hash chain and checking the signed checkpoints."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import Connection
from psycopg_pool import ConnectionPool

from domain.base import Actor, Meta
from infrastructure.audit.chain import AuditChain, SigningKey
from infrastructure.bootstrap import Container

META = Meta(actor=Actor("tester", "admin"), correlation_id="test")


@pytest.fixture
def chain(container: Container, clean_db: str) -> Iterator[AuditChain]:
    app = container.app
    app.put_warehouse("W1", "Main", "eu", META)
    app.put_product("A", "Widget", "tools", Decimal("1.00"), "EUR", 3, META)
    for i in range(1, 21):
        app.receive_stock("A", "W1", i, f"po-{i}", META)
    pool: ConnectionPool[Connection[Any]] = ConnectionPool(clean_db, min_size=1, max_size=2, open=True)
    audit = AuditChain(pool, SigningKey.load(SigningKey.generate_pem()), checkpoint_every=5)
    while audit.extend(limit=7):
        pass
    yield audit
    pool.close()


def tamper(url: str, sql: str, *params: Any) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql, params)


def test_an_untouched_log_verifies(chain: AuditChain) -> None:
    assert chain.verify() == {"ok": True, "checked": 23, "first_bad_position": None, "reason": None}


def test_a_flipped_byte_is_found_at_its_position(chain: AuditChain, clean_db: str) -> None:
    tamper(
        clean_db,
        "UPDATE shopops_events SET state = overlay(state placing '\\x00'::bytea from 10 for 1) "
        "WHERE notification_id = 11",
    )
    result = chain.verify()
    assert (result["ok"], result["first_bad_position"]) == (False, 11)


def test_a_deleted_event_is_found_at_its_position(chain: AuditChain, clean_db: str) -> None:
    tamper(clean_db, "DELETE FROM shopops_events WHERE notification_id = 7")
    assert chain.verify()["first_bad_position"] == 7


def test_swapped_events_are_found_at_the_first_of_them(chain: AuditChain, clean_db: str) -> None:
    tamper(
        clean_db,
        "UPDATE shopops_events e SET state = o.state FROM shopops_events o "
        "WHERE (e.notification_id, o.notification_id) IN ((5, 6), (6, 5))",
    )
    assert chain.verify()["first_bad_position"] == 5


def test_an_inserted_event_is_found_at_its_position(chain: AuditChain, clean_db: str) -> None:
    tamper(clean_db, "DELETE FROM audit_chain WHERE notification_id = 9")  # pretend 9 was never chained
    assert chain.verify()["first_bad_position"] == 9


def test_rewriting_events_and_chain_together_is_caught_by_a_signed_checkpoint(chain: AuditChain, clean_db: str) -> None:
    tamper(clean_db, "DELETE FROM shopops_events WHERE notification_id = 3")
    tamper(clean_db, "DELETE FROM audit_chain")
    with psycopg.connect(clean_db, autocommit=True) as conn:  # the attacker rebuilds a consistent chain ...
        conn.execute("DELETE FROM audit_checkpoints WHERE false")
    forger = AuditChain(chain.pool, None)
    while forger.extend():
        pass
    result = chain.verify()  # ... but cannot re-sign the checkpoints
    assert result["ok"] is False
    assert result["reason"] == "chain differs from a signed checkpoint"
