"""Stock and transfers over HTTP: contract shapes, warehouse scope, bad input, and the last-unit race."""

from __future__ import annotations

import asyncio

from domain.stock import stock_id
from tests.api.conftest import Api, assert_problem, event_count

STOCK_FIELDS = {"sku", "warehouse", "on_hand", "reserved", "available", "version", "position"}


async def test_a_receipt_answers_201_with_the_stock_its_version_position_and_etag(api: Api) -> None:
    await api.catalog("A")
    response = await api.post("/api/v1/stock/A/W1/receipts", {"quantity": 7, "reference": "po-7"})
    assert response.status_code == 201
    body = response.json()
    assert body.keys() >= STOCK_FIELDS
    assert (body["on_hand"], body["reserved"], body["available"]) == (7, 0, 7)
    assert response.headers["etag"] == f'"{body["version"]}"'
    assert response.headers["x-request-id"]


async def test_an_adjustment_below_reserved_is_409_insufficient_stock_and_records_nothing(api: Api) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 3)
    before = event_count(api.settings.require_database_url())
    response = await api.post("/api/v1/stock/A/W1/adjustments", {"delta": -4, "reason": "count"})
    assert_problem(response, 409, "insufficient_stock")
    assert event_count(api.settings.require_database_url()) == before
    ok = await api.post("/api/v1/stock/A/W1/adjustments", {"delta": -1, "reason": "damaged"})
    assert ok.status_code == 201
    assert ok.json()["on_hand"] == 2


async def test_bad_stock_input_is_a_4xx_problem_and_records_nothing(api: Api) -> None:
    await api.catalog("A")
    url = api.settings.require_database_url()
    before = event_count(url)
    cases = [
        ("/api/v1/stock/A/W1/receipts", {"quantity": -1, "reference": "x"}, 422, "quantity"),
        ("/api/v1/stock/A/W1/receipts", {"quantity": 0, "reference": "x"}, 422, "quantity"),
        ("/api/v1/stock/A/W1/receipts", {"quantity": "5", "reference": "x"}, 422, "quantity"),
        ("/api/v1/stock/A/W1/receipts", {"quantity": 1.5, "reference": "x"}, 422, "quantity"),
        ("/api/v1/stock/A/W1/receipts", {"quantity": 5, "reference": "x", "on_hand": 99}, 422, "on_hand"),
        ("/api/v1/stock/A/W1/receipts", {"quantity": 5}, 422, None),
        ("/api/v1/stock/A/W1/receipts", {"quantity": 5, "reference": ""}, 422, "reference"),
        ("/api/v1/stock/A/W1/adjustments", {"delta": 0, "reason": "x"}, 422, None),
    ]
    for path, body, status, field in cases:
        problem = assert_problem(await api.post(path, body), status)
        if field is not None:
            assert field in {e["field"] for e in problem["errors"]}, problem
    assert_problem(await api.post("/api/v1/stock/NOPE/W1/receipts", {"quantity": 5, "reference": "x"}), 422)
    assert_problem(await api.post("/api/v1/stock/A/W9/receipts", {"quantity": 5, "reference": "x"}), 422)
    malformed = await api.client.post(
        "/api/v1/stock/A/W1/receipts", content=b"{not json", headers=api.headers(content_type="application/json")
    )
    assert_problem(malformed, 400)
    assert event_count(url) == before


async def test_warehouse_users_move_and_read_stock_only_in_their_own_warehouses(api: Api) -> None:
    await api.catalog("A")
    own = await api.post(
        "/api/v1/stock/A/W1/receipts", {"quantity": 5, "reference": "x"}, role="warehouse", warehouses=("W1",)
    )
    assert own.status_code == 201
    other = await api.post(
        "/api/v1/stock/A/W2/receipts", {"quantity": 5, "reference": "x"}, role="warehouse", warehouses=("W1",)
    )
    assert_problem(other, 403, "forbidden")
    adjust = await api.post(
        "/api/v1/stock/A/W2/adjustments", {"delta": 1, "reason": "x"}, role="warehouse", warehouses=("W1",)
    )
    assert_problem(adjust, 403)
    position = own.json()["position"]
    assert (await api.seen("/api/v1/stock/A/W1", position, role="warehouse", warehouses=("W1",))).status_code == 200
    assert_problem(await api.get("/api/v1/stock/A/W2", role="warehouse", warehouses=("W1",)), 403)
    assert_problem(await api.get("/api/v1/stock?warehouse=W2", role="warehouse", warehouses=("W1",)), 403)
    for role in ("ops", "support", "finance", "auditor", "integration"):
        assert_problem(await api.post("/api/v1/stock/A/W1/receipts", {"quantity": 1, "reference": "x"}, role=role), 403)


async def test_stock_reads_show_the_read_model_with_etag_and_lists_paginate(api: Api) -> None:
    await api.catalog("A", "B")
    await api.receive("A", "W1", 4)
    await api.receive("A", "W2", 2)
    position = (await api.receive("B", "W1", 1)).json()["position"]
    one = await api.seen("/api/v1/stock/A/W1", position)
    assert one.status_code == 200
    body = one.json()
    assert {*STOCK_FIELDS - {"position"}, "inbound"} <= body.keys()
    assert (body["on_hand"], body["available"], body["inbound"]) == (4, 4, 0)
    assert one.headers["etag"] == f'"{body["version"]}"'
    first = (await api.get("/api/v1/stock?limit=2")).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    rest = (await api.get(f"/api/v1/stock?limit=2&cursor={first['next_cursor']}")).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    only_a = (await api.get("/api/v1/stock?sku=A")).json()["items"]
    assert {(s["sku"], s["warehouse"]) for s in only_a} == {("A", "W1"), ("A", "W2")}
    scoped = (await api.get("/api/v1/stock", role="warehouse", warehouses=("W2",))).json()["items"]
    assert {s["warehouse"] for s in scoped} == {"W2"}
    assert_problem(await api.get("/api/v1/stock?limit=501"), 422)
    assert_problem(await api.get("/api/v1/stock/A/W9"), 404, "not_found")


async def test_a_stock_policy_is_set_with_put_and_refused_for_warehouse_users(api: Api) -> None:
    await api.catalog("A")
    body = {"safety_factor": 1.5, "lead_time_days": 5, "review_days": 7, "min_order_qty": 10}
    response = await api.put("/api/v1/stock/A/W1/policy", body, role="ops")
    assert response.status_code == 200
    assert response.json()["policy"]["min_order_qty"] == 10
    assert_problem(await api.put("/api/v1/stock/A/W1/policy", body, role="warehouse", warehouses=("W1",)), 403)
    assert_problem(await api.put("/api/v1/stock/A/W1/policy", {**body, "min_order_qty": 0}), 422)


async def test_a_transfer_is_in_transit_until_the_destination_receives_it(api: Api) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 10)
    body = {"sku": "A", "from_warehouse": "W1", "to_warehouse": "W2", "quantity": 4}
    assert_problem(await api.post("/api/v1/transfers", body, role="warehouse", warehouses=("W2",)), 403)
    started = await api.post("/api/v1/transfers", body, role="warehouse", warehouses=("W1",))
    assert started.status_code == 201
    transfer = started.json()
    assert transfer["status"] == "in_transit"
    assert {"id", "status", "position"} <= transfer.keys()
    receive_url = f"/api/v1/transfers/{transfer['id']}/receive"
    assert_problem(await api.post(receive_url, role="warehouse", warehouses=("W1",)), 403)
    received = await api.post(receive_url, role="warehouse", warehouses=("W2",))
    assert received.status_code == 200
    assert received.json()["status"] == "received"
    seen = await api.seen(f"/api/v1/transfers/{transfer['id']}", received.json()["position"])
    assert seen.status_code == 200
    assert seen.json()["status"] == "received"
    w2 = (await api.seen("/api/v1/stock/A/W2", received.json()["position"])).json()
    assert (w2["on_hand"], w2["inbound"]) == (4, 0)
    too_many = {**body, "quantity": 100}
    assert_problem(await api.post("/api/v1/transfers", too_many), 409, "insufficient_stock")


async def test_fifty_concurrent_single_unit_adjustments_on_twenty_units_let_exactly_twenty_through(api: Api) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 20)

    async def take_one() -> int:
        response = await api.post("/api/v1/stock/A/W1/adjustments", {"delta": -1, "reason": "picked"})
        if response.status_code == 409:
            assert_problem(response, 409, "insufficient_stock")
        return response.status_code

    statuses = await asyncio.gather(*(take_one() for _ in range(50)))
    assert statuses.count(201) == 20
    assert statuses.count(409) == 30
    events = (await api.get(f"/api/v1/audit/streams/{stock_id('A', 'W1')}/events?limit=500")).json()["items"]
    on_hand, history = 0, []
    for event in events:
        on_hand += event["data"].get("quantity", 0) + event["data"].get("delta", 0)
        history.append(on_hand)
    assert min(history) >= 0
    assert history[-1] == 0
