"""Alerts: raised by their rules over the read models, deduplicated, auto-resolved when the condition clears,
acknowledged and resolved by people, visible per department, streamed, and pushed signed to webhooks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from psycopg import Connection
from psycopg_pool import ConnectionPool

from application.alerts import evaluate_alerts
from application.reactions import JobSpec
from domain.alerts import AlertThresholds, routes
from domain.base import Actor, Meta
from infrastructure.bootstrap import Container
from infrastructure.insight.alert_facts import PgAlertFacts
from infrastructure.jobs.ledger import Job, JobLedger
from tests.api.conftest import Api, assert_problem
from tests.api.insight_seed import at
from workers.insight import deliver, notify
from workers.runtime import Runtime

META = Meta(actor=Actor("alerts", "worker", "worker"), correlation_id="t")
Pool = ConnectionPool[Connection[Any]]


@pytest.fixture
def pool(clean_db: str) -> Iterator[Pool]:
    p: Pool = ConnectionPool(clean_db, min_size=1, max_size=2, open=True)
    yield p
    p.close()


async def evaluate(api: Api, container: Container, pool: Pool) -> dict[str, Any]:
    """Let the read models catch up, evaluate every rule once, and wait for the alerts read model."""
    await api.seen("/api/v1/alerts", container.app.position())
    result = evaluate_alerts(container.app, PgAlertFacts(pool), routes({}), AlertThresholds(), META)
    await api.seen("/api/v1/alerts", container.app.position())
    return result


async def sold_out(api: Api, container: Container) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 2)
    order = await api.place("S-1", [{"sku": "A", "quantity": 2, "unit_price": {"amount": "5.00", "currency": "EUR"}}])
    from uuid import UUID  # noqa: PLC0415 - local to the helper

    container.app.allocate_order(UUID(order["id"]), ["W1", "W2"], ["W1"], META)


async def test_a_stockout_is_raised_once_routed_and_resolved_when_stock_arrives(
    api: Api, container: Container, pool: Pool
) -> None:
    await sold_out(api, container)
    assert (await evaluate(api, container, pool))["raised"] == ["stockout:A/W1"]
    assert (await evaluate(api, container, pool))["raised"] == []  # one open alert per kind and subject
    [alert] = (await api.get("/api/v1/alerts?status=open", role="ops")).json()["items"]
    assert (alert["kind"], alert["subject"], alert["severity"]) == ("stockout", "A/W1", "critical")
    assert alert["departments"] == ["ops", "warehouse"]
    assert alert["inputs"]["available"] == 0
    seen_by = await api.get("/api/v1/alerts", role="warehouse", warehouses=("W1",))
    assert len(seen_by.json()["items"]) == 1
    assert (await api.get("/api/v1/alerts", role="warehouse", warehouses=("W2",))).json()["items"] == []
    assert (await api.get("/api/v1/alerts", role="support")).json()["items"] == []
    await api.receive("A", "W1", 10)
    assert (await evaluate(api, container, pool))["resolved"] == ["stockout:A/W1"]
    [resolved] = (await api.get("/api/v1/alerts?status=resolved")).json()["items"]
    assert resolved["note"] == "condition cleared"


async def test_people_acknowledge_and_resolve_alerts(api: Api, container: Container, pool: Pool) -> None:
    await sold_out(api, container)
    await evaluate(api, container, pool)
    [alert] = (await api.get("/api/v1/alerts?status=open")).json()["items"]
    acknowledged = await api.post(f"/api/v1/alerts/{alert['id']}/acknowledge", {"note": "on it"}, role="ops")
    assert acknowledged.json()["status"] == "acknowledged"
    assert_problem(
        await api.post(f"/api/v1/alerts/{alert['id']}/resolve", {}, role="warehouse", warehouses=("W1",)), 403
    )
    resolved = await api.post(f"/api/v1/alerts/{alert['id']}/resolve", {"note": "moved stock"}, role="ops")
    assert resolved.json()["status"] == "resolved"
    assert_problem(await api.post(f"/api/v1/alerts/{alert['id']}/resolve", {}, role="ops"), 409)
    assert (await evaluate(api, container, pool))["raised"] == ["stockout:A/W1"]  # still sold out: a new occurrence
    [again] = (await api.get("/api/v1/alerts?status=open")).json()["items"]
    assert again["occurrence"] == 2


async def test_sla_breaches_and_parked_jobs_raise_alerts(api: Api, container: Container, pool: Pool) -> None:
    opened = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    body = {"customer_id": "c-1", "channel": "web", "subject": "Refund?", "body": "Please."}
    ticket = (await api.post("/api/v1/tickets", body, **at(opened))).json()
    ledger = JobLedger(pool, lease_seconds=0.01)
    [job_id] = ledger.schedule([JobSpec("fault:crash", "poison", {})])
    for _ in range(3):
        assert ledger.claim(job_id) is not None
        await asyncio.sleep(0.02)
    ledger.sweep(stale_seconds=0)
    raised = (await evaluate(api, container, pool))["raised"]
    assert f"sla_breach:{ticket['id']}:first_response" in raised
    assert f"parked_job:{job_id}" in raised
    support = (await api.get("/api/v1/alerts?kind=sla_breach", role="support")).json()["items"]
    assert {a["subject"] for a in support} >= {f"{ticket['id']}:first_response"}


async def test_the_stream_sends_alert_changes_after_the_last_event_id(
    api: Api, container: Container, pool: Pool
) -> None:
    """Live delivery without reload is checked in the browser test; here the feed and its resumption."""
    await sold_out(api, container)
    await evaluate(api, container, pool)
    stream = await api.get("/api/v1/alerts/stream?max_seconds=0.6", role="ops", last_event_id="0")
    assert stream.headers["content-type"].startswith("text/event-stream"), stream.text
    data = [json.loads(line[5:]) for line in stream.text.splitlines() if line.startswith("data:")]
    assert [(a["kind"], a["subject"], a["status"]) for a in data] == [("stockout", "A/W1", "open")]
    ids = [line[3:].strip() for line in stream.text.splitlines() if line.startswith("id:")]
    assert ids == [str(data[0]["position"])]
    after = await api.get("/api/v1/alerts/stream?max_seconds=0.6", role="ops", last_event_id=ids[0])
    assert "data:" not in after.text
    hidden = await api.get("/api/v1/alerts/stream?max_seconds=0.6", role="support", last_event_id="0")
    assert "data:" not in hidden.text  # support sees ticket alerts only
    token_in_query = api.headers("ops")["Authorization"].split()[1]
    by_query = await api.client.get(f"/api/v1/alerts/stream?max_seconds=0&access_token={token_in_query}")
    assert by_query.status_code == 200
    assert_problem(await api.client.get(f"/api/v1/alerts?access_token={token_in_query}"), 401)  # only the stream


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[bytes, str]] = []  # noqa: RUF012 - shared with the test on purpose
    fail = False

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        failing = Receiver.fail
        if not failing:
            Receiver.received.append((body, self.headers["X-Shopops-Signature"]))
        self.send_response(500 if failing else 204)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received, Receiver.fail = [], False
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


async def test_alerts_are_posted_signed_to_subscribed_webhooks_and_retried_on_failure(
    api: Api, container: Container, pool: Pool, receiver: str
) -> None:
    secret = "s3cret-for-alert-hooks"
    put = await api.put(
        "/api/v1/alert-subscriptions/ops-pager", {"url": receiver, "kinds": ["stockout"], "secret": secret}
    )
    assert put.status_code == 200, put.text
    assert_problem(
        await api.put("/api/v1/alert-subscriptions/x", {"url": "ftp://x", "kinds": [], "secret": secret}), 422
    )
    await sold_out(api, container)
    await evaluate(api, container, pool)
    [alert] = (await api.get("/api/v1/alerts?status=open")).json()["items"]
    ledger = JobLedger(pool)
    runtime = Runtime(container=container, pool=pool, ledger=ledger)
    cause = Job(0, "alert_notify", {"alert_id": alert["id"], "version": alert["version"]}, 1, None, 0)
    [delivery_id] = notify(runtime, cause)["deliveries"]
    delivery = ledger.claim(delivery_id)
    assert delivery is not None
    Receiver.fail = True
    with pytest.raises(OSError, match="500"):
        deliver(runtime, delivery)  # the job fails: the ledger retries it
    Receiver.fail = False
    assert deliver(runtime, delivery) == {"status": 204}
    [(body, signature)] = Receiver.received
    assert signature == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    payload = json.loads(body)
    assert (payload["kind"], payload["subject"], payload["status"], payload["id"]) == (
        "stockout",
        "A/W1",
        "open",
        alert["id"],
    )


async def test_a_channel_whose_receiver_is_behind_raises_channel_sync_lag(
    api: Api, container: Container, pool: Pool
) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 10)
    body = {"name": "Market", "warehouses": ["W1"], "share": 1, "buffer": 0, "stock_url": "http://127.0.0.1:9/stock"}
    assert (await api.put("/api/v1/channels/market", body, role="ops")).status_code == 200
    await api.seen("/api/v1/channels/market/availability", container.app.position())
    # nothing was pushed to the receiver: its value is pending, so with no tolerance the channel is behind
    await api.seen("/api/v1/alerts", container.app.position())
    result = evaluate_alerts(container.app, PgAlertFacts(pool), routes({}), AlertThresholds(sync_lag_seconds=0), META)
    await api.seen("/api/v1/alerts", container.app.position())
    assert "channel_sync_lag:market" in result["raised"]
    lag = (await api.get("/api/v1/alerts?kind=channel_sync_lag")).json()["items"]
    assert [(a["subject"], a["status"]) for a in lag] == [("market", "open")]
    assert lag[0]["inputs"]["pending"] >= 1
