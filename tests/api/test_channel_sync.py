"""Channels both ways over HTTP, with a real receiving server on loopback: settings, available-to-sell with
share and buffer, signed and coalesced stock pushes whose versions only grow, failures recorded and retried,
fulfilment pushed on shipment, and the signed cancellation webhook (idempotent; 409 after shipment)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest

from infrastructure.channels.client import PushError
from infrastructure.channels.queries import channels_behind
from infrastructure.jobs.ledger import Job
from infrastructure.settings import Settings
from tests.api.conftest import Api, assert_problem, event_count, money
from tests.receiver import Receiver
from workers.channels import channel_drift_jobs, push_fulfilment, push_stock
from workers.runtime import Runtime, build_runtime

SECRET = "market-secret"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def runtime(settings: Settings, api: Api) -> Iterator[Runtime]:
    before = settings.shopops_channel_secrets
    settings.shopops_channel_secrets = {"market": SECRET}
    built = build_runtime(settings)
    yield built
    built.close()
    settings.shopops_channel_secrets = before


def job(kind: str, payload: dict[str, Any], cause: int = 0) -> Job:
    return Job(id=1, kind=kind, payload=payload, attempts=1, correlation_id=None, cause_position=cause)


async def configure(api: Api, receiver: Receiver, share: float = 0.5, buffer: int = 2) -> int:
    body = {
        "name": "Market",
        "warehouses": ["W1", "W2"],
        "share": share,
        "buffer": buffer,
        "stock_url": f"{receiver.url}/stock",
        "fulfilment_url": f"{receiver.url}/fulfilment",
    }
    response = await api.put("/api/v1/channels/market", body, role="ops")
    assert response.status_code == 200, response.text
    return int(response.json()["position"])


async def availability(api: Api, position: int) -> dict[str, Any]:
    response = await api.seen("/api/v1/channels/market/availability", position, role="warehouse")
    assert response.status_code == 200, response.text
    return {item["sku"]: item for item in response.json()["items"]}


async def test_available_to_sell_follows_share_and_buffer_over_the_channels_warehouses(
    api: Api, receiver: Receiver
) -> None:
    await api.catalog("A", "B", warehouses=("W1", "W2", "W3"))
    await api.receive("A", "W1", 7)
    await api.receive("A", "W2", 6)
    await api.receive("A", "W3", 100)  # not the channel's
    position = (await api.receive("B", "W1", 3)).json()["position"]
    position = max(position, await configure(api, receiver, share=0.5, buffer=2))
    items = await availability(api, position)
    assert (items["A"]["available_to_sell"], items["B"]["available_to_sell"]) == (4, 0)  # floor(6.5)−2, max(0, 1−2)
    hold = await api.post("/api/v1/holds", {"sku": "A", "quantity": 5, "reference": "c", "warehouse": "W1"})
    after = await availability(api, hold.json()["position"])
    assert after["A"]["available_to_sell"] == 2  # floor(0.5 × 8) − 2
    assert after["A"]["version"] > items["A"]["version"]
    assert_problem(await api.get("/api/v1/channels/nowhere/availability"), 404)
    bad = {"name": "X", "warehouses": ["W1"], "share": 1.5, "buffer": 0}
    assert_problem(await api.put("/api/v1/channels/market", bad), 422)
    assert_problem(await api.put("/api/v1/channels/market", {**bad, "share": 1, "warehouses": ["NOPE"]}), 422)


async def test_stock_pushes_are_signed_coalesced_and_their_versions_only_grow(
    api: Api, receiver: Receiver, runtime: Runtime
) -> None:
    await api.catalog("A", "B")
    for quantity in (1, 1, 1):
        await api.receive("A", "W1", quantity)
    position = (await api.receive("B", "W2", 40)).json()["position"]
    position = max(position, await configure(api, receiver, share=1.0, buffer=0))
    push_stock(runtime, job("channel_push", {}, position))
    assert receiver.last("market") == {"A": 3, "B": 40}
    assert len(receiver.requests) == 2  # the fast lane (A: low stock) first, then the rest; one item per SKU
    assert receiver.requests[0]["items"][0]["sku"] == "A"

    receiver.fail_next = 1
    position = (await api.post("/api/v1/stock/A/W1/adjustments", {"delta": -2, "reason": "count"})).json()["position"]
    with pytest.raises(PushError):
        push_stock(runtime, job("channel_push", {}, position))
    sync = (await api.get("/api/v1/channels/market/sync", role="finance")).json()
    assert (sync["pending"], sync["failures"]) == (1, 1)
    push_stock(runtime, job("channel_push", {}, position))  # the ledger's retry
    assert receiver.last("market") == {"A": 1, "B": 40}
    assert receiver.versions_went_back() == []
    sync = (await api.get("/api/v1/channels/market/sync", role="ops")).json()
    assert sync["pending"] == 0
    assert sync["last_pushed_at"] is not None
    assert {i["sku"]: (i["pushed"], i["current"]) for i in sync["items"]} == {"A": (1, 1), "B": (40, 40)}
    assert channels_behind(runtime.pool, 0) == []


async def test_a_channel_left_behind_is_found_by_the_drift_check(
    api: Api, receiver: Receiver, runtime: Runtime
) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 5)
    position = await configure(api, receiver, share=1.0, buffer=0)
    await availability(api, position)
    runtime.container.settings.shopops_channel_drift_seconds = 0.001
    try:
        [spec] = channel_drift_jobs(runtime.pool, runtime.container.settings)
    finally:
        runtime.container.settings.shopops_channel_drift_seconds = 15.0
    assert (spec.kind, spec.payload) == ("channel_push", {"channel": "market"})
    [behind] = channels_behind(runtime.pool, 0)
    assert (behind["channel"], behind["pending"]) == ("market", 1)
    push_stock(runtime, job(spec.kind, spec.payload))
    assert receiver.last("market") == {"A": 5}


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Shopops-Signature": f"sha256={digest}", "content-type": "application/json"}


async def test_cancellations_are_signed_idempotent_and_refused_after_shipment(
    api: Api, receiver: Receiver, runtime: Runtime, clean_db: str
) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 5)
    await configure(api, receiver)
    for external_id in ("M-1", "M-2"):
        body = json.dumps(
            {
                "external_id": external_id,
                "customer": {"id": "c1", "name": "Mia Wong"},
                "lines": [{"sku": "A", "quantity": 1, "unit_price": money("5.00")}],
            }
        ).encode()
        placed = await api.client.post("/api/v1/channels/market/orders", content=body, headers=signed(body))
        assert placed.status_code == 201, placed.text
    cancel = json.dumps({"external_id": "M-1", "reason": "customer changed their mind"}).encode()
    before = event_count(clean_db)
    refused = await api.client.post(
        "/api/v1/channels/market/cancellations", content=cancel, headers=signed(cancel, "x")
    )
    assert_problem(refused, 401)
    assert event_count(clean_db) == before
    first = await api.client.post("/api/v1/channels/market/cancellations", content=cancel, headers=signed(cancel))
    again = await api.client.post("/api/v1/channels/market/cancellations", content=cancel, headers=signed(cancel))
    assert (first.status_code, first.json()["status"]) == (200, "cancelled")
    assert (again.status_code, again.json()["version"]) == (200, first.json()["version"])

    order_id = (await api.get("/api/v1/orders?channel=market&status=placed")).json()["items"][0]["id"]
    shipment = {"warehouse": "W1", "carrier": "DHL", "tracking_number": "T-1"}
    shipped = await api.post(f"/api/v1/orders/{order_id}/shipments", shipment)
    assert shipped.status_code == 201, shipped.text
    late = json.dumps({"external_id": "M-2", "reason": "too late"}).encode()
    problem = assert_problem(
        await api.client.post("/api/v1/channels/market/cancellations", content=late, headers=signed(late)), 409
    )
    assert "return" in problem["detail"]

    payload = {
        "order_id": order_id,
        "shipment_version": shipped.json()["version"],
        "carrier": "DHL",
        "tracking_number": "T-1",
        "lines": [{"sku": "A", "quantity": 1}],
    }
    assert push_fulfilment(runtime, job("fulfilment_push", payload))["sent"] is True
    assert push_fulfilment(runtime, job("fulfilment_push", payload))["sent"] is False  # delivered once
    assert receiver.fulfilments == [
        {"external_id": "M-2", "carrier": "DHL", "tracking_number": "T-1", "lines": [{"sku": "A", "quantity": 1}]}
    ]
