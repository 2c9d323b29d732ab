"""Money, refunds: the ceiling paid − refunded (409), approval above the threshold by a second person
(four-eyes: the requester's own approval is 403), and M1: concurrent refunds never exceed what was paid."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tests.api.conftest import Api, assert_problem, money


async def _paid_order(api: Api, external_id: str, amount: str) -> dict[str, Any]:
    await api.catalog("A")
    order = await api.place(external_id, [{"sku": "A", "quantity": 1, "unit_price": money(amount)}])
    paid = await api.post(f"/api/v1/orders/{order['id']}/payments", {"amount": money(amount), "reference": "pay-1"})
    assert paid.status_code == 201, paid.text
    body: dict[str, Any] = paid.json()
    return body


def _refund(amount: str, **extra: Any) -> dict[str, Any]:
    return {"amount": money(amount), "reason": "damaged in transit", **extra}


async def test_refunds_up_to_what_was_paid_are_approved_and_one_more_cent_is_409(api: Api) -> None:
    order = await _paid_order(api, "R-1", "150.00")
    first = await api.post(f"/api/v1/orders/{order['id']}/refunds", _refund("100.00"), role="finance")
    assert first.status_code == 201, first.text
    assert {k: first.json()[k] for k in ("order_id", "amount", "status")} == {
        "order_id": order["id"],
        "amount": money("100.00"),
        "status": "approved",
    }
    over = await api.post(f"/api/v1/orders/{order['id']}/refunds", _refund("50.01"), role="finance")
    assert_problem(over, 409, "refund_exceeds_paid")
    last = await api.post(f"/api/v1/orders/{order['id']}/refunds", _refund("50.00"), role="ops")
    assert last.json()["status"] == "approved"
    shown = (await api.seen(f"/api/v1/orders/{order['id']}", last.json()["position"])).json()
    assert (shown["paid"], shown["refunded"]) == (money("150.00"), money("150.00"))
    listed = await api.seen(f"/api/v1/refunds?order_id={order['id']}&status=approved", last.json()["position"])
    assert [r["amount"] for r in listed.json()["items"]] == [money("100.00"), money("50.00")]


async def test_a_refund_above_the_threshold_waits_and_its_requester_cannot_approve_it(api: Api) -> None:
    order = await _paid_order(api, "R-2", "500.00")
    pending = await api.post(f"/api/v1/orders/{order['id']}/refunds", _refund("200.01"), role="finance")
    assert pending.json()["status"] == "pending_approval"
    refund_id = pending.json()["id"]
    own = await api.post(f"/api/v1/refunds/{refund_id}/approve", {"note": "mine"}, role="finance")
    assert_problem(own, 403, "four_eyes")
    assert_problem(await api.post(f"/api/v1/refunds/{refund_id}/approve", {}, role="ops"), 403, "forbidden")
    counted = await api.post(f"/api/v1/orders/{order['id']}/refunds", _refund("300.00"), role="finance")
    assert_problem(counted, 409, "refund_exceeds_paid")  # the pending 200.01 already counts
    approved = await api.post(f"/api/v1/refunds/{refund_id}/approve", {"note": "checked the photos"}, role="admin")
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "approved"
    assert body["decided_by"]["id"] == "admin-user"
    assert body["note"] == "checked the photos"
    assert_problem(await api.post(f"/api/v1/refunds/{refund_id}/approve", {}, role="admin"), 409)
    shown = (await api.seen(f"/api/v1/orders/{order['id']}", body["position"])).json()
    assert shown["refunded"] == money("200.01")


async def test_a_rejected_refund_no_longer_counts_against_the_ceiling(api: Api) -> None:
    order = await _paid_order(api, "R-3", "400.00")
    pending = await api.post(f"/api/v1/orders/{order['id']}/refunds", _refund("400.00"), role="ops")
    rejected = await api.post(f"/api/v1/refunds/{pending.json()['id']}/reject", {"note": "no"}, role="finance")
    assert rejected.json()["status"] == "rejected"
    again = await api.post(f"/api/v1/orders/{order['id']}/refunds", _refund("150.00"), role="ops")
    assert again.json()["status"] == "approved"
    listed = await api.seen("/api/v1/refunds?status=rejected", again.json()["position"], role="auditor")
    assert [r["id"] for r in listed.json()["items"]] == [pending.json()["id"]]


async def test_support_requests_a_refund_only_through_a_ticket_it_holds(api: Api) -> None:
    order = await _paid_order(api, "R-4", "20.00")
    refused = await api.post(f"/api/v1/orders/{order['id']}/refunds", _refund("5.00"), role="support")
    assert_problem(refused, 403, "forbidden")


async def test_twenty_concurrent_refunds_on_one_order_never_exceed_what_was_paid(api: Api) -> None:
    order = await _paid_order(api, "R-M1", "100.00")
    path = f"/api/v1/orders/{order['id']}/refunds"
    responses = await asyncio.gather(*(api.post(path, _refund("10.00"), role="finance") for _ in range(20)))
    accepted = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code == 409]
    assert len(accepted) + len(refused) == 20, [r.text for r in responses]
    assert len(accepted) == 10
    assert {r.json()["code"] for r in refused} == {"refund_exceeds_paid"}
    last = max(r.json()["position"] for r in accepted)
    shown = (await api.seen(f"/api/v1/orders/{order['id']}", last)).json()
    assert Decimal(shown["refunded"]["amount"]) == Decimal("100.00")
