"""A4 crypto-shredding: contact data is sealed with a per-customer key; erasing the customer deletes the key,
after which a full database dump no longer contains their e-mail, while totals, stock and the audit chain
are unaffected. S2: support sees contact data masked."""

from __future__ import annotations

import shutil
import subprocess

import psycopg
from psycopg_pool import ConnectionPool

from infrastructure.audit.chain import AuditChain
from tests.api.conftest import Api, assert_problem, money

EMAIL = "erase.me@example.com"


def order_for(external_id: str) -> dict[str, object]:
    return {
        "channel": "web",
        "external_id": external_id,
        "customer": {
            "id": "cust-erase",
            "name": "Erika Mustermann",
            "email": EMAIL,
            "phone": "+49 30 9999 7777",
            "address": {"line1": "Geheimweg 7", "city": "Berlin"},
        },
        "lines": [{"sku": "A", "quantity": 2, "unit_price": money("9.99")}],
    }


def dump(url: str) -> str:
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump is needed to check what a database dump contains"
    return subprocess.run([pg_dump, "--dbname", url], capture_output=True, text=True, check=True).stdout


async def test_contact_data_is_never_stored_in_the_clear_and_support_sees_it_masked(api: Api, clean_db: str) -> None:
    await api.catalog("A")
    placed = await api.post("/api/v1/orders", order_for("e-1"), Idempotency_Key="k-erase-1")
    assert placed.json()["customer"]["email"] == EMAIL  # the caller gets back what it sent
    order = (await api.seen(f"/api/v1/orders/{placed.json()['id']}", placed.json()["position"])).json()
    assert order["customer"]["email"] == EMAIL
    support = (await api.get(f"/api/v1/orders/{order['id']}", role="support")).json()
    assert support["customer"]["email"] == "e***@example.com"
    with psycopg.connect(clean_db) as conn:
        events = conn.execute("SELECT string_agg(encode(state, 'escape'), '') FROM shopops_events").fetchone()
    assert events is not None
    assert EMAIL not in events[0]
    assert "Erika" not in events[0]


async def test_erasure_makes_the_customer_unreadable_everywhere_and_keeps_the_proof(api: Api, clean_db: str) -> None:
    await api.catalog("A")
    placed = (await api.post("/api/v1/orders", order_for("e-2"), Idempotency_Key="k-erase-2")).json()
    await api.seen("/api/v1/customers/cust-erase", placed["position"])
    assert (await api.get("/api/v1/customers/cust-erase")).json()["email"] == EMAIL
    with ConnectionPool(clean_db, min_size=1, max_size=1) as pool:
        chain = AuditChain(pool, None)
        while chain.extend():
            pass
        assert_problem(await api.post("/api/v1/customers/cust-erase/erasure", role="ops"), 403)
        erased = await api.post("/api/v1/customers/cust-erase/erasure", role="admin")
        assert erased.status_code == 200
        assert erased.json()["customer_id"] == "cust-erase"
        assert chain.verify()["ok"] is True
    order = (await api.get(f"/api/v1/orders/{placed['id']}")).json()
    assert order["customer"]["email"] is None
    assert order["customer"]["erased"] is True
    assert order["total"] == money("19.98")
    profile = (await api.get("/api/v1/customers/cust-erase")).json()
    assert (profile["name"], profile["email"], profile["order_count"]) == (None, None, 1)
    export = (await api.get("/api/v1/audit/export", role="auditor")).text
    assert EMAIL not in export
    assert "Erika" not in export
    everything = dump(clean_db)
    assert EMAIL not in everything
    assert "Erika" not in everything
    assert "Geheimweg" not in everything


async def test_an_auditor_unmasks_only_with_a_reason_and_the_access_is_recorded(api: Api, clean_db: str) -> None:
    await api.catalog("A")
    placed = (await api.post("/api/v1/orders", order_for("e-3"))).json()
    path = "/api/v1/customers/cust-erase"
    masked = (await api.seen(path, placed["position"], role="auditor")).json()
    assert masked["email"] == "e***@example.com"
    assert_problem(await api.get(f"{path}?unmask=true", role="auditor"), 422)
    shown = (await api.get(f"{path}?unmask=true&reason=case%2042%20dispute", role="auditor")).json()
    assert shown["email"] == EMAIL
    assert (await api.get(f"{path}?unmask=true&reason=curious", role="finance")).json()["email"] != EMAIL
    with psycopg.connect(clean_db) as conn:
        log = conn.execute("SELECT actor, role, customer_id, reason FROM pii_access_log").fetchall()
    assert log == [("auditor-user", "auditor", "cust-erase", "case 42 dispute")]


async def test_a_support_agent_sees_contact_data_only_for_a_customer_whose_ticket_they_hold(api: Api) -> None:
    await api.catalog("A")
    await api.post("/api/v1/orders", order_for("e-4"))
    await api.put("/api/v1/agents/support-user", {"name": "Sam", "skills": ["shipping"], "capacity": 5, "online": True})
    ticket = (
        await api.post(
            "/api/v1/tickets",
            {"customer_id": "cust-erase", "channel": "email", "subject": "Where is it", "body": "Still waiting"},
        )
    ).json()
    path = "/api/v1/customers/cust-erase"
    before = (await api.seen(path, ticket["position"], role="support")).json()
    assert before["email"] == "e***@example.com"
    assigned = await api.post(f"/api/v1/tickets/{ticket['id']}/assignment", {"agent_id": "support-user"})
    after = (await api.seen(path, assigned.json()["position"], role="support")).json()
    assert after["email"] == EMAIL
