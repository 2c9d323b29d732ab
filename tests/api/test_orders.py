"""Orders over HTTP: the contract shape, the lifecycle, idempotency keys (I1), If-Match (C3), read-your-writes (A2)."""

from __future__ import annotations

import asyncio
import json

import psycopg
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.security import issue_token
from domain.base import Actor, Meta
from infrastructure.bootstrap import Container
from infrastructure.identity.idempotency import request_hash
from infrastructure.settings import Settings
from tests.api.conftest import Api, assert_problem, event_count, money, order_body

META = Meta(actor=Actor("tester", "admin"), correlation_id="test")

ORDER_FIELDS = {
    "id",
    "channel",
    "external_id",
    "status",
    "customer",
    "lines",
    "total",
    "paid",
    "version",
    "position",
    "placed_at",
    "updated_at",
}


async def test_placing_an_order_answers_201_once_and_200_with_the_same_order_afterwards(api: Api) -> None:
    await api.catalog("A")
    first = await api.post("/api/v1/orders", order_body("E-1"), role="integration")
    assert first.status_code == 201
    order = first.json()
    assert order.keys() >= ORDER_FIELDS
    assert order["status"] == "placed"
    assert order["total"] == money("19.98")
    assert order["paid"] == money("0.00")
    assert order["lines"] == [{"sku": "A", "quantity": 2, "allocated": [], "backordered": 0}]
    assert first.headers["etag"] == f'"{order["version"]}"'
    again = await api.post("/api/v1/orders", order_body("E-1"), role="integration")
    assert again.status_code == 200
    assert again.json()["id"] == order["id"]


async def test_an_order_is_readable_right_after_placing_it_with_min_position(api: Api) -> None:
    await api.catalog("A")
    order = await api.place("E-2")
    response = await api.seen(f"/api/v1/orders/{order['id']}", order["position"], role="support")
    assert response.status_code == 200
    body = response.json()
    assert ORDER_FIELDS - {"position"} <= body.keys()
    assert (body["id"], body["status"], body["version"]) == (order["id"], "placed", order["version"])
    assert response.headers["etag"] == f'"{body["version"]}"'
    listed = await api.seen("/api/v1/orders?channel=web&customer_id=cust-1", order["position"], role="finance")
    assert [o["id"] for o in listed.json()["items"]] == [order["id"]]
    assert listed.json()["next_cursor"] is None
    assert (await api.get("/api/v1/orders?status=cancelled")).json()["items"] == []


async def test_a_min_position_beyond_the_log_is_refused_at_once(api: Api) -> None:
    response = await api.get("/api/v1/orders?min_position=999999999")
    assert_problem(response, 422)


async def test_text_postgresql_cannot_store_is_refused_before_anything_is_recorded(api: Api, clean_db: str) -> None:
    await api.catalog("A")
    before = event_count(clean_db)
    body = order_body("nul-1")
    body["customer"]["name"] = "Jane\x00Doe"
    assert_problem(await api.post("/api/v1/orders", body), 422)
    assert_problem(await api.get("/api/v1/orders?status=open%00"), 422)
    assert_problem(await api.get("/api/v1/customers/c%00"), 422)
    assert event_count(clean_db) == before


async def test_a_min_position_the_read_models_have_not_reached_answers_503_with_retry_after(
    container: Container, settings: Settings
) -> None:
    """No projection runner here: the read models stay behind the log."""
    container.app.put_warehouse("W1", "Main", "eu", META)
    slow = settings.model_copy(update={"shopops_min_position_timeout_seconds": 0.3})
    async with AsyncTestClient(app=create_app(Container(slow, container.app, container.pool))) as client:
        token = issue_token(slow, "ops-user", ["ops"], ())
        response = await client.get("/api/v1/warehouses?min_position=1", headers={"Authorization": f"Bearer {token}"})
    body = assert_problem(response, 503)
    assert response.headers["retry-after"]
    assert "position 1" in body["detail"]
    assert response.headers["retry-after"]


async def test_an_order_goes_through_payment_shipment_delivery_and_return(api: Api) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 5)
    order = await api.place("E-3")
    oid = order["id"]
    paid = await api.post(
        f"/api/v1/orders/{oid}/payments", {"amount": money("19.98"), "reference": "pay-1"}, role="finance"
    )
    assert paid.status_code == 201
    assert paid.json()["paid"] == money("19.98")
    ship = {"warehouse": "W1", "carrier": "DHL", "tracking_number": "T-1"}
    assert_problem(await api.post(f"/api/v1/orders/{oid}/shipments", ship, role="warehouse", warehouses=("W2",)), 403)
    shipped = await api.post(f"/api/v1/orders/{oid}/shipments", ship, role="warehouse", warehouses=("W1",))
    assert shipped.status_code == 201
    assert shipped.json()["status"] == "shipped"
    assert_problem(await api.post(f"/api/v1/orders/{oid}/cancel", {"reason": "late"}, role="ops"), 409)
    delivered = await api.post(f"/api/v1/orders/{oid}/delivery", role="warehouse", warehouses=("W1",))
    assert delivered.status_code == 200
    assert delivered.json()["status"] == "delivered"
    returned = await api.post(
        f"/api/v1/orders/{oid}/returns", {"lines": [{"sku": "A", "quantity": 2}], "reason": "broken"}, role="finance"
    )
    assert returned.status_code == 201
    assert returned.json()["status"] == "returned"
    stock = await api.seen("/api/v1/stock/A/W1", returned.json()["position"])
    assert stock.json()["on_hand"] == 5


async def test_cancelling_an_order_answers_200_and_only_ops_and_admin_may(api: Api) -> None:
    await api.catalog("A")
    order = await api.place("E-4")
    for role in ("finance", "support", "warehouse", "integration", "auditor"):
        assert_problem(await api.post(f"/api/v1/orders/{order['id']}/cancel", {"reason": "x"}, role=role), 403)
    cancelled = await api.post(f"/api/v1/orders/{order['id']}/cancel", {"reason": "customer asked"}, role="ops")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"


async def test_bad_order_input_is_a_4xx_problem_and_records_nothing(api: Api) -> None:
    await api.catalog("A")
    url = api.settings.require_database_url()
    before = event_count(url)
    line = {"sku": "A", "quantity": 1, "unit_price": money("9.99")}
    bad_lines = [
        {**line, "quantity": -1},
        {**line, "quantity": "1"},
        {**line, "unit_price": money("9,99")},
        {**line, "unit_price": money("9.99", "eur")},
        {**line, "status": "shipped"},
        {**line, "sku": "UNKNOWN"},
    ]
    for bad in bad_lines:
        assert_problem(await api.post("/api/v1/orders", order_body("E-5", [bad])), 422)
    assert_problem(await api.post("/api/v1/orders", {**order_body("E-5"), "status": "paid"}), 422)
    assert_problem(await api.post("/api/v1/orders", {**order_body("E-5"), "lines": []}), 422)
    assert event_count(url) == before
    assert_problem(await api.get("/api/v1/orders/00000000-0000-0000-0000-000000000000"), 404)
    assert_problem(await api.get("/api/v1/orders/not-a-uuid"), 404)


async def test_the_same_idempotency_key_and_body_replay_one_order_identically(api: Api) -> None:
    await api.catalog("A")
    body = order_body("E-6")
    first = await api.post("/api/v1/orders", body, role="integration", idempotency_key="key-6")
    assert first.status_code == 201
    sequential = [
        await api.post("/api/v1/orders", body, role="integration", idempotency_key="key-6") for _ in range(10)
    ]
    concurrent = await asyncio.gather(
        *(api.post("/api/v1/orders", body, role="integration", idempotency_key="key-6") for _ in range(10))
    )
    for replay in [*sequential, *concurrent]:
        assert (replay.status_code, replay.content) == (201, first.content)
    orders = await api.seen("/api/v1/orders", first.json()["position"])
    assert len(orders.json()["items"]) == 1
    changed = await api.post("/api/v1/orders", order_body("E-7"), role="integration", idempotency_key="key-6")
    assert_problem(changed, 422)
    assert_problem(await api.post("/api/v1/orders", body, role="integration", idempotency_key="k" * 256), 422)


async def test_a_business_refusal_is_replayed_but_a_validation_error_frees_the_key(api: Api) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 1)
    refused = await api.post("/api/v1/stock/A/W1/adjustments", {"delta": -5, "reason": "x"}, idempotency_key="adj")
    assert_problem(refused, 409, "insufficient_stock")
    await api.receive("A", "W1", 10)
    replay = await api.post("/api/v1/stock/A/W1/adjustments", {"delta": -5, "reason": "x"}, idempotency_key="adj")
    assert (replay.status_code, replay.content) == (409, refused.content)
    invalid = await api.post("/api/v1/stock/A/W1/adjustments", {"delta": "x", "reason": "x"}, idempotency_key="v")
    assert_problem(invalid, 422)
    fixed = await api.post("/api/v1/stock/A/W1/adjustments", {"delta": -1, "reason": "x"}, idempotency_key="v")
    assert fixed.status_code == 201


async def test_two_commands_with_the_same_if_match_let_exactly_one_through(api: Api) -> None:
    await api.catalog("A")
    order = await api.place("E-8")
    for attempt in range(3):
        current = await api.seen(f"/api/v1/orders/{order['id']}", order["position"])
        etag = current.headers["etag"]
        results = await asyncio.gather(
            *(
                api.post(
                    f"/api/v1/orders/{order['id']}/payments",
                    {"amount": money("1.00"), "reference": f"p{attempt}"},
                    if_match=etag,
                )
                for _ in range(2)
            )
        )
        statuses = sorted(r.status_code for r in results)
        assert statuses == [201, 412]
        assert_problem(next(r for r in results if r.status_code == 412), 412, "version_mismatch")
        order = next(r for r in results if r.status_code == 201).json()
    assert_problem(await api.post(f"/api/v1/orders/{order['id']}/cancel", {"reason": "x"}, if_match='"1"'), 412)
    assert_problem(await api.post(f"/api/v1/orders/{order['id']}/cancel", {"reason": "x"}, if_match="abc"), 400)


async def test_warehouse_users_see_unassigned_orders_but_not_orders_of_other_warehouses(api: Api) -> None:
    await api.catalog("A")
    await api.receive("A", "W2", 5)
    order = await api.place("E-9")
    unassigned = await api.seen(
        f"/api/v1/orders/{order['id']}", order["position"], role="warehouse", warehouses=("W1",)
    )
    assert unassigned.status_code == 200
    shipped = await api.post(
        f"/api/v1/orders/{order['id']}/shipments", {"warehouse": "W2", "carrier": "UPS", "tracking_number": "1Z"}
    )
    assert shipped.status_code == 201
    other = await api.seen(
        f"/api/v1/orders/{order['id']}", shipped.json()["position"], role="warehouse", warehouses=("W1",)
    )
    assert other.status_code in (403, 404)
    assert_problem(await api.post(f"/api/v1/orders/{order['id']}/delivery", role="warehouse", warehouses=("W1",)), 403)
    assert_problem(await api.post("/api/v1/orders", order_body("E-10"), role="warehouse", warehouses=("W1",)), 403)


async def test_a_key_still_in_flight_is_409_with_retry_after_until_it_goes_stale(api: Api) -> None:
    await api.catalog("A")
    body = json.dumps(order_body("E-11")).encode()
    fingerprint = request_hash("POST", "/api/v1/orders", body)
    with psycopg.connect(api.settings.require_database_url(), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO idempotency_keys (principal, key, method, path, request_hash, state) "
            "VALUES ('admin-user', 'busy', 'POST', '/api/v1/orders', %s, 'in_flight')",
            (fingerprint,),
        )
    headers = api.headers(idempotency_key="busy", content_type="application/json")
    busy = await api.client.post("/api/v1/orders", content=body, headers=headers)
    assert_problem(busy, 409)
    assert busy.headers["retry-after"]
    with psycopg.connect(api.settings.require_database_url(), autocommit=True) as conn:
        conn.execute("UPDATE idempotency_keys SET created_at = now() - interval '2 minutes' WHERE key = 'busy'")
    taken_over = await api.client.post("/api/v1/orders", content=body, headers=headers)
    assert taken_over.status_code == 201
    replay = await api.client.post("/api/v1/orders", content=body, headers=headers)
    assert (replay.status_code, replay.content) == (201, taken_over.content)
