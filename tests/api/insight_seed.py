"""A small history with known business times (January 2026), and the KPI values computed by hand from it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.base import Actor, Meta
from infrastructure.bootstrap import Container
from tests.api.conftest import Api, money

OPS = Actor("dispatch", "worker", "worker")


def at(stamp: str) -> dict[str, str]:
    return {"x_business_time": stamp}


async def seed(api: Api, container: Container) -> dict[str, str]:
    """Orders O1..O4 in January (O4 cancelled), O5 in February; stock of A (cost 4.00), B (toys, 2.00) and
    C (1.00, never sold); two tickets. Returns order ids by name."""
    await api.catalog("A", "C")
    toys = {"name": "Toy B", "category": "toys", "unit_price": money("5.00"), "lead_time_days": 5}
    assert (await api.put("/api/v1/products/B", toys)).status_code == 200
    for sku, warehouse, quantity, cost in (("A", "W1", 100, "4.00"), ("B", "W1", 10, "2.00"), ("C", "W2", 50, "1.00")):
        body = {"quantity": quantity, "reference": "po-1", "unit_cost": money(cost)}
        response = await api.post(f"/api/v1/stock/{sku}/{warehouse}/receipts", body, **at("2026-01-01T00:00:00Z"))
        assert response.status_code == 201, response.text
    ids = {
        "O1": await _order(api, "O1", "web", [("A", 2, "10.00")], "2026-01-05T10:00:00Z"),
        "O2": await _order(api, "O2", "web", [("A", 4, "10.00"), ("B", 1, "5.00")], "2026-01-06T10:00:00Z"),
        "O3": await _order(api, "O3", "market", [("A", 1, "10.00")], "2026-01-07T09:00:00Z"),
        "O4": await _order(api, "O4", "web", [("A", 3, "10.00")], "2026-01-08T09:00:00Z"),
        "O5": await _order(api, "O5", "web", [("A", 1, "10.00")], "2026-02-02T09:00:00Z"),
    }
    _allocate(container, ids["O1"], "2026-01-05T11:00:00+00:00")
    _allocate(container, ids["O2"], "2026-01-07T12:00:00+00:00")
    _allocate(container, ids["O3"], "2026-01-07T09:30:00+00:00")
    await _ship(api, ids["O1"], "2026-01-05T14:00:00Z")
    await _ship(api, ids["O2"], "2026-01-08T10:00:00Z")
    cancelled = await api.post(
        f"/api/v1/orders/{ids['O4']}/cancel", {"reason": "customer"}, **at("2026-01-08T12:00:00Z")
    )
    assert cancelled.status_code == 200, cancelled.text
    await _ticket(api, "2026-01-10T08:00:00Z", "2026-01-10T09:00:00Z", "2026-01-10T12:00:00Z")
    await _ticket(api, "2026-01-11T08:00:00Z", "2026-01-12T08:00:00Z", None)
    return ids


async def _order(api: Api, name: str, channel: str, lines: list[tuple[str, int, str]], stamp: str) -> str:
    body: dict[str, Any] = {
        "channel": channel,
        "external_id": name,
        "customer": {"id": "c-1", "name": "Jane Doe", "email": "jane@example.com"},
        "lines": [{"sku": s, "quantity": q, "unit_price": money(p)} for s, q, p in lines],
    }
    response = await api.post("/api/v1/orders", body, **at(stamp))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _allocate(container: Container, oid: str, stamp: str) -> None:
    meta = Meta(actor=OPS, correlation_id="t", business_time=datetime.fromisoformat(stamp))
    container.app.allocate_order(UUID(oid), ["W1", "W2"], ["W1"], meta)


async def _ship(api: Api, oid: str, stamp: str) -> None:
    body = {"warehouse": "W1", "carrier": "DHL", "tracking_number": f"T-{oid[:6]}"}
    response = await api.post(f"/api/v1/orders/{oid}/shipments", body, **at(stamp))
    assert response.status_code == 201, response.text


async def _ticket(api: Api, opened: str, replied: str, resolved: str | None) -> None:
    body = {"customer_id": "c-1", "channel": "web", "subject": "Where is my parcel", "body": "It is late."}
    ticket = await api.post("/api/v1/tickets", body, **at(opened))
    assert ticket.status_code == 201, ticket.text
    tid = ticket.json()["id"]
    reply = await api.post(f"/api/v1/tickets/{tid}/replies", {"author": "agent", "body": "On its way."}, **at(replied))
    assert reply.status_code == 201, reply.text
    if resolved:
        done = await api.post(f"/api/v1/tickets/{tid}/resolve", {}, **at(resolved))
        assert done.status_code == 200, done.text
