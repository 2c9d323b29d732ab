"""Tickets over HTTP with the learned classifier: the triage worker's decision (model, version, confidence) on
GET, an agent's recategorisation (roles, bad input, the queue), retraining from it, and reply drafts filled
with the order's facts in the ticket's language — all against the real database."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from domain.triage import DEFAULT_RULES
from infrastructure.bootstrap import Container
from infrastructure.classification.model import MODEL_NAME
from infrastructure.jobs.ledger import Job, JobLedger
from tests.api.conftest import Api, assert_problem
from workers.runtime import Runtime
from workers.ticket_models import registry
from workers.tickets import retrain_ticket_model, triage_ticket


@pytest.fixture
def runtime(container: Container) -> Runtime:
    """A worker's runtime whose classifier has trained at start, as `shopops worker` does."""
    assert container.pool is not None
    runtime = Runtime(container=container, pool=container.pool, ledger=JobLedger(container.pool))
    registry(runtime, DEFAULT_RULES).current()
    return runtime


def job(kind: str, payload: dict[str, Any], position: int) -> Job:
    return Job(id=position, kind=kind, payload=payload, attempts=1, correlation_id=None, cause_position=position)


async def shipped_order(api: Api, external_id: str) -> str:
    await api.catalog("A")
    await api.receive("A", "W1", 5)
    order = await api.place(external_id)
    ship = {"warehouse": "W1", "carrier": "SF Express", "tracking_number": "SF1234567890"}
    shipped = await api.post(f"/api/v1/orders/{order['id']}/shipments", ship, role="warehouse", warehouses=("W1",))
    assert shipped.status_code == 201, shipped.text
    return str(order["id"])


async def open_and_triage(api: Api, runtime: Runtime, subject: str, body: str, order_id: str | None) -> dict[str, Any]:
    ticket = {"customer_id": "cust-1", "channel": "email", "subject": subject, "body": body, "order_id": order_id}
    opened = await api.post("/api/v1/tickets", ticket, role="integration")
    assert opened.status_code == 201, opened.text
    assert opened.json()["classification"] is None
    tid, position = opened.json()["id"], opened.json()["position"]
    triage_ticket(runtime, job("triage", {"ticket_id": tid}, position))
    seen = await api.seen(f"/api/v1/tickets/{tid}", runtime.container.app.position(), role="support")
    assert seen.status_code == 200, seen.text
    ticket_view: dict[str, Any] = seen.json()
    return ticket_view


async def test_a_chinese_refund_with_a_quality_reason_is_a_refund_with_a_draft_from_the_order_facts(
    api: Api, runtime: Runtime
) -> None:
    order_id = await shipped_order(api, "E-88")
    ticket = await open_and_triage(api, runtime, "退款", "我要退款，商品有质量问题，请尽快处理", order_id)
    assert ticket["category"] == "refund"
    classification = ticket["classification"]
    assert (classification["category"], classification["model"]) == ("refund", MODEL_NAME)
    assert classification["version"].startswith("0.")
    assert 0 < classification["confidence"] <= 1
    reply = ticket["suggested_reply"]
    assert reply["language"] == "zh"
    assert reply["facts"]["carrier"] == "SF Express"
    assert reply["facts"]["tracking_number"] == "SF1234567890"
    assert reply["facts"]["status"] == "shipped"
    assert reply["facts"]["refund_status"] is None
    assert reply["facts"]["shipped_at"] is not None
    assert "E-88" in reply["body"]
    assert "暂无" in reply["body"]  # the refund status is not known


async def test_an_english_shipping_ticket_gets_an_english_draft_and_one_without_an_order_gets_none(
    api: Api, runtime: Runtime
) -> None:
    order_id = await shipped_order(api, "E-89")
    linked = await open_and_triage(api, runtime, "Where is my parcel?", "Tracking hasn't moved in 4 days.", order_id)
    assert linked["category"] == "shipping"
    assert linked["suggested_reply"]["language"] == "en"
    assert "SF1234567890" in linked["suggested_reply"]["body"]
    alone = await open_and_triage(api, runtime, "Where is my parcel?", "It hasn't arrived yet.", None)
    assert alone["category"] == "shipping"
    assert alone["suggested_reply"] is None


async def test_an_agent_recategorises_a_ticket_and_the_retrained_model_learns_from_it(
    api: Api, runtime: Runtime, clean_db: str
) -> None:
    ticket = await open_and_triage(api, runtime, "Question", "Can I still change the colour of my sofa order?", None)
    tid = ticket["id"]
    assert_problem(await api.post(f"/api/v1/tickets/{tid}/category", {"category": "return"}, role="ops"), 403)
    assert_problem(await api.post(f"/api/v1/tickets/{tid}/category", {"category": "cooking"}, role="support"), 422)
    changed = await api.post(f"/api/v1/tickets/{tid}/category", {"category": "return"}, role="support")
    assert changed.status_code == 200, changed.text
    assert changed.json()["category"] == "return"
    assert changed.json()["classification"]["model"] == MODEL_NAME  # the machine's decision stays on record
    queue = await api.seen("/api/v1/tickets?category=return", changed.json()["position"], role="support")
    assert [t["id"] for t in queue.json()["items"]] == [tid]
    result = retrain_ticket_model(runtime, job("ticket_model_retrain", {}, 0))
    assert (result["version"], result["labels"], result["active"]) == (1, 1, True)
    with psycopg.connect(clean_db) as conn:
        row = conn.execute("SELECT labels, active FROM ticket_classifier_models").fetchone()
    assert row == ([[tid, "return"]], True)
    assert retrain_ticket_model(runtime, job("ticket_model_retrain", {}, 0))["unchanged"] is True
    later = await open_and_triage(api, runtime, "Return", "I'd like to send the lamp back.", None)
    assert later["classification"]["version"].startswith("1.")
