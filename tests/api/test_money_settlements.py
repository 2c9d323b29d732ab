"""Money, settlements: a payout file with a clean match, a match without reference, an amount mismatch, a
duplicate, a fee variance, a refund without payment and a payout total that does not add up; re-import and
concurrent import record nothing twice (M2); exceptions are resolved with a note; unmatched payments are raised."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.base import Actor, Meta
from infrastructure.bootstrap import Container
from infrastructure.money.reconcile import raise_unmatched_payments, wait_for_read_models
from infrastructure.settings import Settings
from tests.api.conftest import Api, assert_problem, event_count, money

FEES = '{"psp": {"rate": "0.02", "fixed": "0.30"}}'


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        shopops_secret_key="test-secret-key-with-at-least-32-bytes!",
        shopops_pool_size=4,
        shopops_pool_max_overflow=4,
        shopops_read_pool_size=4,
        shopops_provider_fees=FEES,
        shopops_settlement_grace_days=0,
    )


async def _paid(api: Api, external_id: str, amount: str, reference: str | None) -> dict[str, Any]:
    order = await api.place(external_id, [{"sku": "A", "quantity": 1, "unit_price": money(amount)}])
    if reference is None:
        return order
    paid = await api.post(f"/api/v1/orders/{order['id']}/payments", {"amount": money(amount), "reference": reference})
    assert paid.status_code == 201, paid.text
    body: dict[str, Any] = paid.json()
    return body


def _line(reference: str, amount: str, fee: str | None, order: str | None = None, kind: str = "payment") -> Any:
    today = datetime.now(UTC).date().isoformat()
    return {
        "reference": reference,
        "type": kind,
        "amount": amount,
        "fee": fee,
        "occurred_at": today,
        "order_external_id": order,
    }


def _payout(payout_id: str, amount: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "provider": "psp",
        "payout_id": payout_id,
        "payout_date": datetime.now(UTC).date().isoformat(),
        "payout_amount": money(amount),
        "lines": lines,
    }


async def _orders(api: Api) -> None:
    await api.catalog("A")
    await _paid(api, "S-1", "100.00", "pay-1")
    await _paid(api, "S-2", "50.00", "pay-2")
    await _paid(api, "S-3", "80.00", "pay-3")
    await _paid(api, "S-4", "20.00", None)
    await _paid(api, "S-5", "30.00", "pay-5")


PAYOUT = _payout(
    "P-1",
    "330.00",  # the lines net to 323.30
    [
        _line("pay-1", "100.00", "2.30", "S-1"),  # clean: reference and amount, expected fee 2.30
        _line("pay-2", "45.00", "1.20", "S-2"),  # amount mismatch (50.00 was paid)
        _line("pay-3", "80.00", "5.00", "S-3"),  # matched, but the fee should be 1.90
        _line("pay-1", "100.00", "2.30", "S-1"),  # the same line twice
        _line("rf-9", "-20.00", None, "S-4", kind="refund"),  # S-4 was never paid
        _line("psp-777", "30.00", "0.90", "S-5"),  # no reference of ours: amount, date and order
    ],
)


async def test_a_payout_file_is_matched_and_every_exception_is_found_with_its_kind(api: Api) -> None:
    await _orders(api)
    imported = await api.post("/api/v1/settlements", PAYOUT, role="finance")
    assert imported.status_code == 202, imported.text
    position = imported.json()["position"]
    listed = (await api.seen("/api/v1/reconciliation/exceptions?status=open", position, role="auditor")).json()
    kinds = sorted(e["kind"] for e in listed["items"])
    assert kinds == sorted(
        ["amount_mismatch", "duplicate", "fee_variance", "refund_without_payment", "payout_total_mismatch"]
    )
    by_kind = {e["kind"]: e for e in listed["items"]}
    assert by_kind["amount_mismatch"]["settlement_line"]["reference"] == "pay-2"
    assert by_kind["amount_mismatch"]["difference"] == "-5.00"
    assert by_kind["amount_mismatch"]["candidates"][0]["ref"] == "pay-2"
    assert by_kind["payout_total_mismatch"]["difference"] == "6.70"
    assert by_kind["fee_variance"]["settlement_line"]["reference"] == "pay-3"
    summary = (await api.seen("/api/v1/reconciliation/summary", position, role="finance")).json()
    assert summary["matched"] == {"count": 3, "amount": money("210.00")}
    assert summary["exceptions"]["open"] == 5
    assert summary["payouts"] == {"count": 1, "amount": money("330.00")}
    assert summary["fees"] == money("11.70")


async def test_importing_the_same_payout_again_even_concurrently_records_nothing_twice(
    api: Api, database_url: str
) -> None:
    await _orders(api)
    first, second = await asyncio.gather(
        api.post("/api/v1/settlements", PAYOUT, role="finance"),
        api.post("/api/v1/settlements", PAYOUT, role="admin"),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 202]
    assert first.json()["id"] == second.json()["id"]
    events = event_count(database_url)
    again = await api.post("/api/v1/settlements", PAYOUT, role="finance")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert event_count(database_url) == events
    other = _payout("P-2", "97.70", [_line("pay-1", "100.00", "2.30", "S-1")])
    later = await api.post("/api/v1/settlements", other, role="finance")
    listed = (await api.seen("/api/v1/reconciliation/exceptions?kind=duplicate", later.json()["position"])).json()
    assert len(listed["items"]) == 2  # the line twice in P-1, and pay-1 again in P-2: never matched twice


async def test_finance_resolves_an_exception_with_a_note_once(api: Api) -> None:
    await _orders(api)
    imported = await api.post("/api/v1/settlements", PAYOUT, role="finance")
    found = (
        await api.seen("/api/v1/reconciliation/exceptions?kind=amount_mismatch", imported.json()["position"])
    ).json()
    exception_id = found["items"][0]["id"]
    path = f"/api/v1/reconciliation/exceptions/{exception_id}/resolve"
    resolved = await api.post(path, {"resolution": "write_off", "note": "customer kept a voucher"}, role="finance")
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    assert_problem(await api.post(path, {"resolution": "ignore", "note": "again"}, role="finance"), 409)
    assert_problem(await api.post(path, {"resolution": "ignore", "note": "x"}, role="ops"), 403, "forbidden")
    shown = (await api.seen("/api/v1/reconciliation/exceptions?status=resolved", resolved.json()["position"])).json()
    assert shown["items"][0]["note"] == "customer kept a voucher"


async def test_a_payment_no_settlement_covers_after_the_grace_period_becomes_an_exception(
    api: Api, container: Container
) -> None:
    await _orders(api)
    imported = await api.post("/api/v1/settlements", PAYOUT, role="finance")
    assert container.pool is not None
    wait_for_read_models(container.pool, imported.json()["position"])
    meta = Meta(actor=Actor("reconciliation", "system", "system"), business_time=datetime.now(UTC))
    raised = raise_unmatched_payments(container.app, container.pool, container.settings, meta)
    assert raised == 1  # pay-2 (its line did not match); pay-1, pay-3 and pay-5 are covered
    assert raise_unmatched_payments(container.app, container.pool, container.settings, meta) == 0
    position = container.app.position()
    listed = (await api.seen("/api/v1/reconciliation/exceptions?kind=unmatched_payment", position)).json()
    assert [e["payment"]["reference"] for e in listed["items"]] == ["pay-2"]
