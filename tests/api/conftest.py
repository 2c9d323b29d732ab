"""The Litestar app against the session's real PostgreSQL, with the projection runner in a background thread.

Each test gets an emptied database, a fresh container and app (its lifespan opens the read pool), and an `Api`
helper that mints tokens per role so tests read as "as warehouse user of W1, POST ...".
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.security import issue_token
from infrastructure.bootstrap import Container
from infrastructure.readmodels.runner import run_projections
from infrastructure.settings import Settings

PROBLEM = "application/problem+json"


class Api:
    """A test client that knows how to act as any role."""

    def __init__(self, client: AsyncTestClient[Any], settings: Settings) -> None:
        self.client = client
        self.settings = settings

    def headers(self, role: str | None = "admin", warehouses: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
        headers = {k.replace("_", "-"): v for k, v in extra.items()}
        if role is not None:
            token = issue_token(self.settings, f"{role}-user", role.split("+"), warehouses)
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def call(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        role: str | None = "admin",
        warehouses: tuple[str, ...] = (),
        **headers: str,
    ) -> httpx.Response:
        return await self.client.request(method, path, json=json, headers=self.headers(role, warehouses, **headers))

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.call("POST", path, json, **kwargs)

    async def put(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.call("PUT", path, json, **kwargs)

    async def seen(self, path: str, position: int, **kwargs: Any) -> httpx.Response:
        """GET after the read models processed `position` (read-your-writes)."""
        separator = "&" if "?" in path else "?"
        return await self.get(f"{path}{separator}min_position={position}", **kwargs)

    async def catalog(self, *skus: str, warehouses: tuple[str, ...] = ("W1", "W2")) -> int:
        """Register warehouses and products; returns the last position."""
        position = 0
        for code in warehouses:
            response = await self.put(f"/api/v1/warehouses/{code}", {"name": f"Warehouse {code}", "region": "eu"})
            position = response.json()["position"]
        for sku in skus:
            body = {"name": f"Product {sku}", "category": "tools", "unit_price": money("9.99"), "lead_time_days": 5}
            position = (await self.put(f"/api/v1/products/{sku}", body)).json()["position"]
        return position

    async def receive(self, sku: str, warehouse: str, quantity: int) -> httpx.Response:
        body = {"quantity": quantity, "reference": "po-1"}
        response = await self.post(f"/api/v1/stock/{sku}/{warehouse}/receipts", body)
        assert response.status_code == 201, response.text
        return response

    async def place(self, external_id: str = "1001", lines: list[dict[str, Any]] | None = None, **kw: Any) -> Any:
        response = await self.post("/api/v1/orders", order_body(external_id, lines), **kw)
        assert response.status_code in (200, 201), response.text
        return response.json()


def money(amount: str, currency: str = "EUR") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def order_body(external_id: str = "1001", lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "channel": "web",
        "external_id": external_id,
        "customer": {"id": "cust-1", "name": "Jane Doe", "email": "jane@example.com", "phone": "+44 20 7946 0958"},
        "lines": lines or [{"sku": "A", "quantity": 2, "unit_price": money("9.99")}],
    }


def event_count(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM shopops_events").fetchone()
    assert row is not None
    return int(row[0])


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """RFC 9457 shape: media type, the four members, and the stable code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    assert "Traceback" not in response.text
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def projections(settings: Settings, clean_db: str) -> Iterator[None]:
    """Every read model, kept up to date by the projection runner in a background thread."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_projections, args=(settings,), kwargs={"stop": stop}, name="projections", daemon=True
    )
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


@pytest.fixture
async def api(container: Container, settings: Settings, projections: None) -> AsyncIterator[Api]:
    app = create_app(container)
    async with AsyncTestClient(app=app, timeout=30) as client:
        yield Api(client, settings)
