"""After-sales from tickets through the HTTP contract: a return with a damaged unit (restock at the shipped cost,
write-off, refund, approval → refunded), a reship that dispatch allocates, the shipped − returned limit, support
acting only on tickets it holds, and the ticket's timeline."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from infrastructure.jobs.relay import Relay
from infrastructure.settings import Settings
from tests.api.conftest import Api, assert_problem, money
from workers.dispatch import dispatch_order
from workers.runtime import Runtime, build_runtime


@pytest.fixture
def runtime(settings: Settings, clean_db: str) -> Iterator[Runtime]:
    built = build_runtime(settings)
    yield built
    built.close()


async def _receipt(api: Api, sku: str, quantity: int, cost: str) -> None:
    body = {"quantity": quantity, "reference": "po", "unit_cost": money(cost)}
    response = await api.post(f"/api/v1/stock/{sku}/W1/receipts", body)
    assert response.status_code == 201, response.text


async def _shipped_ticket(api: Api, external_id: str, quantity: int, price: str) -> dict[str, Any]:
    """A paid order of `quantity` × A shipped from W1, and a ticket about it held by the support agent."""
    await api.catalog("A")
    await _receipt(api, "A", 5, "4.00")
    await _receipt(api, "A", 5, "6.00")  # average 5.00
    order = await api.place(external_id, [{"sku": "A", "quantity": quantity, "unit_price": money(price)}])
    total = f"{float(price) * quantity:.2f}"
    paid = await api.post(f"/api/v1/orders/{order['id']}/payments", {"amount": money(total), "reference": external_id})
    assert paid.status_code == 201, paid.text
    shipment = {"warehouse": "W1", "carrier": "dhl", "tracking_number": "T1"}
    assert (await api.post(f"/api/v1/orders/{order['id']}/shipments", shipment)).status_code == 201
    ticket = await api.post(
        "/api/v1/tickets",
        {"customer_id": "cust-1", "order_id": order["id"], "channel": "web", "subject": "Broken", "body": "It broke"},
        role="support",
    )
    agent = {"name": "Sam", "skills": ["return", "refund"], "capacity": 5, "online": True}
    assert (await api.put("/api/v1/agents/support-user", agent, role="support")).status_code in (200, 201)
    held = await api.post(f"/api/v1/tickets/{ticket.json()['id']}/assignment", {"agent_id": "support-user"})
    assert held.status_code == 200, held.text
    return {"order": order, "ticket": ticket.json()["id"]}


def _action(kind: str, quantity: int, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "lines": [{"sku": "A", "quantity": quantity}], "reason": "arrived broken", **extra}


async def test_a_return_with_a_damaged_unit_restocks_one_writes_one_off_and_is_refunded_once_approved(
    api: Api,
) -> None:
    case = await _shipped_ticket(api, "AS-1", 3, "150.00")
    action = await api.post(f"/api/v1/tickets/{case['ticket']}/actions", _action("return", 2), role="support")
    assert action.status_code == 201, action.text
    body = action.json()
    assert (body["type"], body["status"], body["ticket_id"], body["order_id"]) == (
        "return",
        "authorised",
        case["ticket"],
        case["order"]["id"],
    )
    await _receipt(api, "A", 2, "8.00")  # on hand 9 at (7 × 5 + 2 × 8) / 9 = 5.6667
    receipt = {
        "warehouse": "W1",
        "lines": [
            {"sku": "A", "quantity": 1, "condition": "resellable"},
            {"sku": "A", "quantity": 1, "condition": "damaged"},
        ],
    }
    path = f"/api/v1/returns/{body['id']}/receive"
    assert_problem(await api.post(path, receipt, role="warehouse", warehouses=("W2",)), 403)
    received = await api.post(path, receipt, role="warehouse", warehouses=("W1",))
    assert received.status_code == 200, received.text
    got = received.json()
    assert got["status"] == "received"  # 300.00 is above the approval threshold: the refund waits
    assert got["written_off"] == money("5.00")  # at the 5.00 the unit shipped at, not today's average
    assert [(line["condition"], Decimal(line["unit_cost"])) for line in got["received"]] == [
        ("resellable", Decimal(5)),
        ("damaged", Decimal(5)),
    ]
    assert_problem(await api.post(path, receipt, role="warehouse", warehouses=("W1",)), 409)
    stock = (await api.seen("/api/v1/stock/A/W1", got["position"])).json()
    assert (stock["on_hand"], stock["unit_cost"], stock["value"]) == (10, money("5.60"), money("56.00"))
    refunds = (await api.seen(f"/api/v1/refunds?order_id={case['order']['id']}", got["position"])).json()["items"]
    assert [(r["id"], r["amount"], r["status"], r["return_id"]) for r in refunds] == [
        (got["refund_id"], money("300.00"), "pending_approval", body["id"])
    ]
    approved = await api.post(f"/api/v1/refunds/{got['refund_id']}/approve", {"note": "photos"}, role="finance")
    assert approved.status_code == 200, approved.text
    shown = await api.seen(f"/api/v1/returns/{body['id']}", approved.json()["position"], role="finance")
    assert (shown.json()["status"], shown.json()["written_off"]) == ("refunded", money("5.00"))
    order = (await api.seen(f"/api/v1/orders/{case['order']['id']}", approved.json()["position"])).json()
    assert order["refunded"] == money("300.00")


async def test_a_reship_places_a_zero_priced_replacement_that_dispatch_allocates(api: Api, runtime: Runtime) -> None:
    case = await _shipped_ticket(api, "AS-2", 1, "20.00")
    action = await api.post(f"/api/v1/tickets/{case['ticket']}/actions", _action("reship", 1), role="support")
    assert action.status_code == 201, action.text
    replacement_id = action.json()["replacement_order_id"]
    assert action.json()["status"] == "placed"
    relay = Relay(runtime.container.app, runtime.ledger, lambda _ids: None)
    while relay.step():
        pass
    with psycopg.connect(runtime.container.settings.require_database_url()) as conn:
        row = conn.execute(
            "SELECT id FROM jobs WHERE kind = 'dispatch' AND payload->>'order_id' = %s", (replacement_id,)
        ).fetchone()
    assert row is not None
    job = runtime.ledger.claim(row[0])
    assert job is not None
    result = dispatch_order(runtime, job)
    runtime.ledger.complete(job, result)
    replacement = (await api.seen(f"/api/v1/orders/{replacement_id}", result["position"])).json()
    assert (replacement["external_id"], replacement["channel"], replacement["status"]) == (
        "AS-2-R1",
        "web",
        "allocated",
    )
    assert replacement["total"] == money("0.00")
    again = await api.post(f"/api/v1/tickets/{case['ticket']}/actions", _action("reship", 1), role="support")
    assert_problem(again, 409, "exceeds_returnable")  # the one shipped unit is already reshipped


async def test_actions_are_limited_to_what_was_shipped_minus_what_was_returned(api: Api) -> None:
    case = await _shipped_ticket(api, "AS-3", 3, "10.00")
    path = f"/api/v1/tickets/{case['ticket']}/actions"
    assert (await api.post(path, _action("return", 2), role="ops")).status_code == 201
    assert_problem(await api.post(path, _action("refund", 2), role="ops"), 409, "exceeds_returnable")
    refund = await api.post(path, _action("refund", 1), role="ops")
    assert refund.status_code == 201, refund.text
    assert (refund.json()["status"], refund.json()["amount"]) == ("approved", money("10.00"))
    assert refund.json()["refund_id"]
    assert_problem(await api.post(path, _action("return", 1), role="ops"), 409, "exceeds_returnable")
    loose = await api.post("/api/v1/tickets", {"customer_id": "c", "channel": "web", "subject": "Hi", "body": "?"})
    assert_problem(
        await api.post(f"/api/v1/tickets/{loose.json()['id']}/actions", _action("return", 1)),
        409,
        "ticket_without_order",
    )


async def test_support_acts_only_on_tickets_it_holds_and_finance_only_reads(api: Api) -> None:
    case = await _shipped_ticket(api, "AS-4", 2, "10.00")
    other = await api.post(
        "/api/v1/tickets",
        {"customer_id": "cust-1", "order_id": case["order"]["id"], "channel": "web", "subject": "Q", "body": "Q"},
    )
    refused = await api.post(f"/api/v1/tickets/{other.json()['id']}/actions", _action("return", 1), role="support")
    assert_problem(refused, 403, "forbidden")
    finance = await api.post(f"/api/v1/tickets/{case['ticket']}/actions", _action("return", 1), role="finance")
    assert_problem(finance, 403, "forbidden")
    taken = await api.post(f"/api/v1/tickets/{case['ticket']}/actions", _action("return", 1), role="support")
    assert taken.status_code == 201, taken.text
    listed = await api.seen(f"/api/v1/tickets/{case['ticket']}/actions", taken.json()["position"], role="finance")
    assert [a["id"] for a in listed.json()["items"]] == [taken.json()["id"]]


async def test_the_ticket_shows_its_actions_linked_to_the_order_refund_and_replacement(api: Api) -> None:
    case = await _shipped_ticket(api, "AS-5", 3, "10.00")
    path = f"/api/v1/tickets/{case['ticket']}/actions"
    taken = [await api.post(path, _action(kind, 1), role="support") for kind in ("refund", "return", "reship")]
    assert [t.status_code for t in taken] == [201, 201, 201], [t.text for t in taken]
    ticket = (await api.seen(f"/api/v1/tickets/{case['ticket']}", taken[-1].json()["position"])).json()
    actions = ticket["actions"]
    assert [(a["type"], a["status"]) for a in actions] == [
        ("refund", "approved"),
        ("return", "authorised"),
        ("reship", "placed"),
    ]
    assert {a["order_id"] for a in actions} == {case["order"]["id"]}
    assert actions[0]["refund_id"] == taken[0].json()["refund_id"]
    assert actions[2]["replacement_order_id"] == taken[2].json()["replacement_order_id"]
    refund = (await api.get(f"/api/v1/refunds/{actions[0]['refund_id']}")).json()
    assert refund["ticket_id"] == case["ticket"]
    assert ticket["version"] > 1  # the ticket's own stream records each action


async def test_concurrent_actions_on_one_order_never_exceed_what_was_shipped(api: Api) -> None:
    case = await _shipped_ticket(api, "AS-6", 3, "10.00")
    path = f"/api/v1/tickets/{case['ticket']}/actions"
    responses = await asyncio.gather(*(api.post(path, _action("return", 1), role="ops") for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [201, 201, 201, 409, 409, 409], [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"exceeds_returnable"}
