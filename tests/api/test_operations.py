"""Health, metrics, problem+json for framework errors, body limits, request ids, catalog and audit endpoints."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.catalog import warehouse_id
from tests.api.conftest import Api, assert_problem, money


async def test_liveness_and_readiness_report_the_database_and_projection_lag(api: Api) -> None:
    assert (await api.client.get("/health/live")).status_code == 200
    ready = await api.client.get("/health/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["database"] == "ok"
    assert body["projection_lag"] >= 0
    assert body["projections"]


async def test_metrics_expose_request_counts_latency_and_projection_lag(api: Api) -> None:
    await api.get("/api/v1/me")
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert 'shopops_http_requests_total{app_name="shopops",method="GET",path="/api/v1/me",status_code="200"}' in text
    assert "shopops_http_request_duration_seconds_bucket" in text
    assert "shopops_projection_lag_events" in text


async def test_framework_errors_are_problems_too(api: Api) -> None:
    assert_problem(await api.client.get("/no/such/route"), 404, "not_found")
    assert_problem(await api.call("DELETE", "/api/v1/orders"), 405, "method_not_allowed")
    too_big = b'{"name": "' + b"x" * (api.settings.shopops_max_body_bytes + 10) + b'", "region": "eu"}'
    response = await api.client.put(
        "/api/v1/warehouses/W1", content=too_big, headers=api.headers(content_type="application/json")
    )
    assert_problem(response, 413, "payload_too_large")


async def test_the_request_id_is_echoed_and_recorded_as_the_correlation_id(api: Api) -> None:
    response = await api.put("/api/v1/warehouses/W1", {"name": "Main", "region": "eu"}, x_request_id="req-42")
    assert response.headers["x-request-id"] == "req-42"
    generated = await api.get("/api/v1/me")
    assert len(generated.headers["x-request-id"]) == 36
    events = (await api.get(f"/api/v1/audit/streams/{warehouse_id('W1')}/events", role="auditor")).json()["items"]
    assert events[0]["correlation_id"] == "req-42"
    assert events[0]["actor"] == {"id": "admin-user", "role": "admin", "kind": "user"}


async def test_catalog_puts_answer_200_and_reads_return_the_same_record(api: Api) -> None:
    warehouse = await api.put("/api/v1/warehouses/W1", {"name": "Main", "region": "eu-west"}, role="ops")
    assert warehouse.status_code == 200
    assert {"code", "name", "region"} <= warehouse.json().keys()
    product_body = {"name": "Drill", "category": "tools", "unit_price": money("49.90"), "lead_time_days": 7}
    product = await api.put("/api/v1/products/DR-1", product_body)
    assert product.status_code == 200
    assert product.json()["unit_price"] == money("49.90")
    seen = await api.seen("/api/v1/products/DR-1", product.json()["position"], role="integration")
    assert seen.status_code == 200
    assert seen.json()["name"] == "Drill"
    assert seen.headers["etag"] == f'"{seen.json()["version"]}"'
    assert [p["sku"] for p in (await api.get("/api/v1/products?category=tools")).json()["items"]] == ["DR-1"]
    assert (await api.get("/api/v1/warehouses/W1", role="finance")).json()["region"] == "eu-west"
    assert [w["code"] for w in (await api.get("/api/v1/warehouses")).json()["items"]] == ["W1"]
    assert_problem(await api.put("/api/v1/products/DR-1", {**product_body, "unit_price": money("-1")}), 422)
    assert_problem(await api.put("/api/v1/products/DR-1", {**product_body, "lead_time_days": -1}), 422)
    assert_problem(await api.put("/api/v1/warehouses/W1", {"name": "", "region": "eu"}), 422)
    assert_problem(await api.get("/api/v1/products/NOPE"), 404)


async def test_audit_lists_a_streams_events_and_its_state_at_a_version_or_a_time(api: Api) -> None:
    await api.catalog("A")
    order = await api.place("AU-1")
    before_payment = datetime.now(UTC)
    paid = (
        await api.post(f"/api/v1/orders/{order['id']}/payments", {"amount": money("5.00"), "reference": "p"})
    ).json()
    events = await api.get(f"/api/v1/audit/streams/{order['id']}/events", role="auditor")
    assert events.status_code == 200
    items = events.json()["items"]
    assert [e["version"] for e in items] == [1, 2]
    assert items[-1]["position"] == paid["position"]
    assert {
        "position",
        "version",
        "type",
        "occurred_at",
        "recorded_at",
        "actor",
        "correlation_id",
        "causation_id",
        "data",
    } <= items[0].keys()
    assert items[0]["type"] == "shopops.order.placed"
    assert items[1]["data"]["amount"] == "5.00"
    at_one = (await api.get(f"/api/v1/audit/streams/{order['id']}/state?version=1", role="auditor")).json()
    assert (at_one["version"], at_one["state"]["paid"], at_one["state"]["status"]) == (1, "0", "placed")
    stamp = before_payment.isoformat().replace("+00:00", "Z")
    at_time = await api.client.get(
        f"/api/v1/audit/streams/{order['id']}/state", params={"at": stamp}, headers=api.headers("admin")
    )
    assert at_time.json()["version"] == 1
    latest = (await api.get(f"/api/v1/audit/streams/{order['id']}/state", role="auditor")).json()
    assert latest["version"] == 2
    assert_problem(await api.get(f"/api/v1/audit/streams/{order['id']}/state?version=9", role="auditor"), 404)
    assert_problem(
        await api.client.get(
            f"/api/v1/audit/streams/{order['id']}/state", params={"at": "2000-01-01T00:00:00Z"}, headers=api.headers()
        ),
        404,
    )
    assert_problem(await api.get(f"/api/v1/audit/streams/{order['id']}/events", role="ops"), 403)


async def test_responses_carry_security_headers_and_api_data_is_not_cached(api: Api) -> None:
    response = await api.get("/api/v1/me")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    docs = await api.client.get("/schema")
    assert "content-security-policy" not in docs.headers
