"""Audit over the whole log through HTTP: verify on an untouched and on a tampered log, and NDJSON export."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg_pool import ConnectionPool

from infrastructure.audit.chain import AuditChain
from tests.api.conftest import Api


def chain_all(url: str) -> None:
    with ConnectionPool(url, min_size=1, max_size=1) as pool:
        chain = AuditChain(pool, None)
        while chain.extend():
            pass


async def test_verify_passes_on_an_untouched_log_and_locates_a_flipped_byte(api: Api, clean_db: str) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 5)
    chain_all(clean_db)
    verified = await api.get("/api/v1/audit/verify", role="auditor")
    assert verified.json() == {"ok": True, "checked": 5, "first_bad_position": None, "reason": None}
    with psycopg.connect(clean_db, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "UPDATE shopops_events SET state = overlay(state placing '\\x01'::bytea from 5 for 1) "
            "WHERE notification_id = 3"
        )
    tampered = (await api.get("/api/v1/audit/verify", role="admin")).json()
    assert (tampered["ok"], tampered["first_bad_position"]) == (False, 3)


async def test_export_streams_every_event_with_who_when_and_why_as_ndjson(api: Api) -> None:
    await api.catalog("A")
    receipt = await api.receive("A", "W1", 5)
    response = await api.get("/api/v1/audit/export", role="auditor", X_Request_ID="req-export-1")
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["position"] for line in lines] == list(range(1, receipt.json()["position"] + 1))
    last = lines[-1]
    assert last["type"] == "shopops.stock.received"
    assert last["actor"]["id"] == "admin-user"
    # a receipt without a cost records none (money, v1.1: unit cost, currency and the new moving average)
    assert last["data"] == {
        "quantity": 5,
        "reference": "po-1",
        "unit_cost": None,
        "currency": None,
        "average_cost": None,
    }
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    empty = await api.client.get("/api/v1/audit/export", params={"from": future}, headers=api.headers("admin"))
    assert empty.text == ""
