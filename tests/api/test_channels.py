"""I2 channel webhooks: HMAC-signed on the raw body, idempotent on (channel, external_id) under sequential
and concurrent redelivery; a bad or missing signature is 401 and records nothing."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import pytest

from tests.api.conftest import Api, assert_problem, event_count, money

SECRET = "amazon-webhook-secret"


@pytest.fixture
def signed(api: Api) -> Api:
    api.settings.shopops_channel_secrets = {"amazon": SECRET}
    return api


def payload(external_id: str = "AMZ-1") -> bytes:
    return json.dumps(
        {
            "external_id": external_id,
            "customer": {"id": "amz-cust-1", "name": "Mara Chen", "email": "mara@example.com"},
            "lines": [{"sku": "A", "quantity": 1, "unit_price": money("9.99")}],
        }
    ).encode()


def headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Shopops-Signature": f"sha256={digest}", "content-type": "application/json"}


async def test_a_signed_order_is_placed_once_however_often_it_is_delivered(signed: Api, clean_db: str) -> None:
    await signed.catalog("A")
    body = payload()
    post = signed.client.post
    first = await post("/api/v1/channels/amazon/orders", content=body, headers=headers(body))
    assert first.status_code == 201, first.text
    again = [await post("/api/v1/channels/amazon/orders", content=body, headers=headers(body)) for _ in range(4)]
    together = await asyncio.gather(
        *(post("/api/v1/channels/amazon/orders", content=body, headers=headers(body)) for _ in range(5))
    )
    assert {r.status_code for r in [*again, *together]} == {200}
    assert {r.json()["id"] for r in [first, *again, *together]} == {first.json()["id"]}
    assert first.json()["channel"] == "amazon"
    with_topic = event_count(clean_db)
    order = await signed.seen(f"/api/v1/orders/{first.json()['id']}", first.json()["position"])
    assert order.json()["external_id"] == "AMZ-1"
    assert event_count(clean_db) == with_topic


async def test_a_bad_or_missing_signature_is_refused_and_records_nothing(signed: Api, clean_db: str) -> None:
    await signed.catalog("A")
    before = event_count(clean_db)
    body = payload("AMZ-2")
    url = "/api/v1/channels/amazon/orders"
    assert_problem(await signed.client.post(url, content=body, headers=headers(body, "wrong")), 401)
    assert_problem(await signed.client.post(url, content=body, headers={"content-type": "application/json"}), 401)
    tampered = body.replace(b"AMZ-2", b"AMZ-3")
    assert_problem(await signed.client.post(url, content=tampered, headers=headers(body)), 401)
    assert_problem(await signed.client.post("/api/v1/channels/ebay/orders", content=body, headers=headers(body)), 401)
    bad = b'{"external_id": "AMZ-4", "customer": {"id": "c"}, "lines": [], "extra": 1}'
    assert_problem(await signed.client.post(url, content=bad, headers=headers(bad)), 422)
    assert event_count(clean_db) == before
