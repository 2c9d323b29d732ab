"""Authentication and authorisation over every route of the OpenAPI document (S1 deny by default)."""

from __future__ import annotations

import re
import time
from typing import Any

import jwt
import pytest
import redis
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.roles import ROLES
from api.security import check_every_route_guarded
from infrastructure.bootstrap import Container
from infrastructure.identity.users import add_user
from tests.api.conftest import Api, assert_problem
from tests.faults.conftest import REDIS_URL

ANY = set(ROLES)
# The role matrix of reliability.md: who may call each operation (method, OpenAPI path).
MATRIX: dict[tuple[str, str], set[str]] = {
    ("GET", "/api/v1/me"): ANY,
    ("PUT", "/api/v1/warehouses/{code}"): {"admin", "ops"},
    ("GET", "/api/v1/warehouses"): ANY,
    ("GET", "/api/v1/warehouses/{code}"): ANY,
    ("PUT", "/api/v1/products/{sku}"): {"admin", "ops"},
    ("GET", "/api/v1/products"): ANY,
    ("GET", "/api/v1/products/{sku}"): ANY,
    ("POST", "/api/v1/stock/{sku}/{warehouse}/receipts"): {"admin", "warehouse"},
    ("POST", "/api/v1/stock/{sku}/{warehouse}/adjustments"): {"admin", "warehouse"},
    ("PUT", "/api/v1/stock/{sku}/{warehouse}/policy"): {"admin", "ops"},
    ("GET", "/api/v1/stock/{sku}/{warehouse}"): ANY,
    ("GET", "/api/v1/stock"): ANY,
    ("POST", "/api/v1/transfers"): {"admin", "warehouse"},
    ("POST", "/api/v1/transfers/{transfer_id}/receive"): {"admin", "warehouse"},
    ("GET", "/api/v1/transfers/{transfer_id}"): ANY,
    ("POST", "/api/v1/orders"): {"admin", "ops", "integration"},
    ("GET", "/api/v1/orders"): ANY - {"integration"},
    ("GET", "/api/v1/orders/{order_id}"): ANY - {"integration"},
    ("POST", "/api/v1/orders/{order_id}/payments"): {"admin", "ops", "finance"},
    ("POST", "/api/v1/orders/{order_id}/cancel"): {"admin", "ops"},
    ("POST", "/api/v1/orders/{order_id}/shipments"): {"admin", "ops", "warehouse"},
    ("POST", "/api/v1/orders/{order_id}/delivery"): {"admin", "ops", "warehouse"},
    ("POST", "/api/v1/orders/{order_id}/returns"): {"admin", "ops", "finance", "warehouse"},
    ("POST", "/api/v1/tickets"): {"admin", "support", "integration"},
    ("GET", "/api/v1/tickets"): {"admin", "support", "ops", "auditor"},
    ("GET", "/api/v1/tickets/{ticket_id}"): {"admin", "support", "ops", "auditor"},
    ("POST", "/api/v1/tickets/{ticket_id}/replies"): {"admin", "support"},
    ("POST", "/api/v1/tickets/{ticket_id}/category"): {"admin", "support"},
    ("POST", "/api/v1/tickets/{ticket_id}/assignment"): {"admin", "support"},
    ("POST", "/api/v1/tickets/{ticket_id}/resolve"): {"admin", "support"},
    ("POST", "/api/v1/tickets/{ticket_id}/reopen"): {"admin", "support"},
    ("PUT", "/api/v1/agents/{agent_id}"): {"admin", "ops", "support"},
    ("GET", "/api/v1/agents"): {"admin", "ops", "support", "auditor"},
    ("GET", "/api/v1/agents/{agent_id}"): {"admin", "ops", "support", "auditor"},
    ("GET", "/api/v1/customers/{customer_id}"): {"admin", "ops", "support", "finance", "auditor"},
    ("POST", "/api/v1/customers/{customer_id}/erasure"): {"admin"},
    ("GET", "/api/v1/audit/streams/{stream_id}/events"): {"admin", "auditor"},
    ("GET", "/api/v1/audit/streams/{stream_id}/state"): {"admin", "auditor"},
    ("GET", "/api/v1/audit/verify"): {"admin", "auditor"},
    ("GET", "/api/v1/audit/export"): {"admin", "auditor"},
    ("GET", "/api/v1/jobs"): {"admin", "ops"},
    ("POST", "/api/v1/jobs/{job_id}/retry"): {"admin", "ops"},
    ("GET", "/api/v1/replenishments"): {"admin", "ops", "warehouse", "finance", "auditor"},
    ("POST", "/api/v1/replenishments/{replenishment_id}/order"): {"admin", "ops"},
    ("POST", "/api/v1/replenishments/{replenishment_id}/receive"): {"admin", "ops"},
    ("POST", "/api/v1/replenishments/{replenishment_id}/cancel"): {"admin", "ops"},
    ("POST", "/api/v1/forecasts/refresh"): {"admin", "ops"},
    ("GET", "/api/v1/forecasts/{sku}"): {"admin", "ops", "warehouse", "finance", "auditor"},
    ("GET", "/api/v1/forecasts/{sku}/accuracy"): {"admin", "ops", "warehouse", "finance", "auditor"},
    ("GET", "/api/v1/forecast-runs/{job_id}"): {"admin", "ops", "warehouse", "finance", "auditor"},
    ("GET", "/api/v1/forecast-accuracy"): {"admin", "ops", "warehouse", "finance", "auditor"},
    ("GET", "/api/v1/sales-history/{sku}"): {"admin", "ops", "warehouse", "finance", "auditor"},
    ("GET", "/api/v1/clearance-suggestions"): {"admin", "ops", "warehouse", "finance", "auditor"},
    # insight (v1.1): KPIs, reports, alerts
    ("GET", "/api/v1/kpis"): {"admin", "ops", "finance", "auditor", "support"},
    ("GET", "/api/v1/kpis/definitions"): {"admin", "ops", "finance", "auditor", "support"},
    ("GET", "/api/v1/reports/sales"): {"admin", "ops", "finance", "auditor"},
    ("GET", "/api/v1/reports/inventory"): {"admin", "ops", "finance", "auditor", "warehouse"},
    ("GET", "/api/v1/alerts"): ANY - {"integration"},
    ("GET", "/api/v1/alerts/stream"): ANY - {"integration"},
    ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): {"admin", "ops"},
    ("POST", "/api/v1/alerts/{alert_id}/resolve"): {"admin", "ops"},
    ("PUT", "/api/v1/alert-subscriptions/{subscription_id}"): {"admin"},
    # ---- v1.1 money (reliability.md "Role matrix — v1.1 additions") ----
    ("POST", "/api/v1/orders/{order_id}/refunds"): {"admin", "ops", "finance", "support"},
    ("POST", "/api/v1/refunds/{refund_id}/approve"): {"admin", "finance"},
    ("POST", "/api/v1/refunds/{refund_id}/reject"): {"admin", "finance"},
    ("GET", "/api/v1/refunds"): {"admin", "ops", "finance", "support", "auditor"},
    ("GET", "/api/v1/refunds/{refund_id}"): {"admin", "ops", "finance", "support", "auditor"},
    ("POST", "/api/v1/tickets/{ticket_id}/actions"): {"admin", "ops", "support"},  # support: tickets it holds
    ("GET", "/api/v1/tickets/{ticket_id}/actions"): {"admin", "ops", "support", "finance", "auditor"},
    ("POST", "/api/v1/returns/{return_id}/receive"): {"admin", "ops", "warehouse"},  # warehouse: its own
    ("GET", "/api/v1/returns/{return_id}"): {"admin", "ops", "support", "finance", "auditor"},
    ("POST", "/api/v1/settlements"): {"admin", "finance"},
    ("GET", "/api/v1/reconciliation/summary"): {"admin", "finance", "ops", "auditor"},
    ("GET", "/api/v1/reconciliation/exceptions"): {"admin", "finance", "ops", "auditor"},
    ("POST", "/api/v1/reconciliation/exceptions/{exception_id}/resolve"): {"admin", "finance"},
    # v1.1: checkout holds and channels
    ("POST", "/api/v1/holds"): {"admin", "ops", "integration"},
    ("POST", "/api/v1/holds/{hold_id}/release"): {"admin", "ops", "integration"},
    ("POST", "/api/v1/holds/{hold_id}/extend"): {"admin", "ops", "integration"},
    ("GET", "/api/v1/holds/{hold_id}"): {"admin", "ops", "auditor"},
    ("PUT", "/api/v1/channels/{channel}"): {"admin", "ops"},
    ("GET", "/api/v1/channels/{channel}"): {"admin", "ops", "warehouse", "finance", "auditor"},
    ("GET", "/api/v1/channels/{channel}/availability"): {"admin", "ops", "warehouse", "finance", "auditor"},
    ("GET", "/api/v1/channels/{channel}/sync"): {"admin", "ops", "finance", "auditor"},
}
PUBLIC = {
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/channels/{channel}/orders"),
    ("POST", "/api/v1/channels/{channel}/cancellations"),
}
PLACEHOLDER_ID = "00000000-0000-0000-0000-0000000000aa"


def concrete(path: str) -> str:
    """Fill path parameters: UUIDs where the route wants one, a warehouse-like code elsewhere (and end the
    alert stream at once)."""
    filled = re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDER_ID if m.group(1).endswith("_id") else "X1", path)
    return f"{filled}?max_seconds=0" if path.endswith("/alerts/stream") else filled


async def operations(api: Api) -> list[tuple[str, str]]:
    document = (await api.client.get("/schema/openapi.json")).json()
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if path.startswith("/api/v1") and method in {"get", "post", "put", "patch", "delete"}
    ]


async def test_the_openapi_document_is_served_as_openapi_3_1_with_interactive_docs(api: Api) -> None:
    response = await api.client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert "BearerAuth" in document["components"]["securitySchemes"]
    assert set(MATRIX) | PUBLIC == set(await operations(api))
    docs = await api.client.get("/schema")
    assert docs.status_code == 200
    assert "html" in docs.headers["content-type"]


async def test_every_api_route_without_a_valid_token_is_401_problem(api: Api) -> None:
    expired = jwt.encode(
        {"sub": "x", "roles": ["admin"], "warehouses": [], "exp": int(time.time()) - 3600},
        api.settings.shopops_secret_key,
        algorithm="HS256",
    )
    forged = jwt.encode({"sub": "x", "roles": ["admin"], "exp": int(time.time()) + 60}, "wrong-key" * 5)
    for method, path in await operations(api):
        if (method, path) in PUBLIC:  # login, and webhooks that authenticate by signature (test_channels)
            continue
        for headers in (
            {},
            {"Authorization": "Bearer nonsense"},
            {"Authorization": f"Bearer {expired}"},
            {"Authorization": f"Bearer {forged}"},
            {"Authorization": "Basic YTpi"},
        ):
            response = await api.client.request(method, concrete(path), headers=headers, json={})
            assert_problem(response, 401, "unauthorized")
            assert response.headers["www-authenticate"].startswith("Bearer")


async def test_every_role_is_refused_exactly_the_routes_the_role_matrix_denies_it(api: Api) -> None:
    for (method, path), allowed in MATRIX.items():
        for role in ROLES:
            response = await api.call(method, concrete(path), {}, role=role, warehouses=("X1",))
            if role in allowed:
                assert response.status_code not in (401, 403), (role, method, path, response.text)
            else:
                assert_problem(response, 403, "forbidden")


async def test_a_route_without_a_roles_guard_stops_the_app_from_starting() -> None:
    @get("/api/v1/unguarded")
    async def unguarded() -> None:
        return None

    with pytest.raises(RuntimeError, match="unguarded"):
        check_every_route_guarded(Litestar(route_handlers=[unguarded]))


async def test_a_user_added_like_the_cli_does_logs_in_and_sees_itself(api: Api, container: Container) -> None:
    url = api.settings.require_database_url()
    add_user(url, "wh-anna", "correct horse battery", ["warehouse"], ["W1", "W2"])
    login = await api.client.post(
        "/api/v1/auth/token", json={"username": "wh-anna", "password": "correct horse battery"}
    )
    assert login.status_code == 200
    token: dict[str, Any] = login.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == api.settings.shopops_token_ttl_seconds
    me = await api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.json() == {"username": "wh-anna", "roles": ["warehouse"], "warehouses": ["W1", "W2"]}
    wrong = await api.client.post("/api/v1/auth/token", json={"username": "wh-anna", "password": "nope-nope"})
    assert_problem(wrong, 401)
    nobody = await api.client.post("/api/v1/auth/token", json={"username": "ghost", "password": "whatever1"})
    assert_problem(nobody, 401)
    assert_problem(await api.client.post("/api/v1/auth/token", json={"username": "x"}), 422)


async def test_create_app_builds_an_app_whose_routes_all_carry_guards(container: Container) -> None:
    app = create_app(container)
    check_every_route_guarded(app)
    paths = {route.path for route in app.routes}
    assert {"/api/v1/orders", "/health/ready", "/metrics"} <= paths


async def test_the_login_rate_limit_holds_across_api_processes_through_redis(container: Container) -> None:
    redis.Redis.from_url(REDIS_URL).flushdb()
    shared = container.settings.model_copy(update={"redis_url": REDIS_URL})
    first = create_app(Container(shared, container.app, container.pool))
    second = create_app(Container(shared, container.app, container.pool))
    bad = {"username": "nobody", "password": "wrong-password"}
    async with AsyncTestClient(app=first) as one, AsyncTestClient(app=second) as two:
        statuses = [(await (one if i % 2 else two).post("/api/v1/auth/token", json=bad)).status_code for i in range(31)]
    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429
