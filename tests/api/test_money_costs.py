"""Money, costs: standard and actual unit costs, the moving average per SKU × warehouse, COGS at the cost of
the moment, stock value, margin, transfers carrying cost, and as-of replay of costs (hand-computed figures)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.stock import stock_id
from tests.api.conftest import Api, money, order_body


async def _product(api: Api, sku: str, unit_cost: str | None = None) -> None:
    body: dict[str, Any] = {"name": sku, "category": "tools", "unit_price": money("20.00"), "lead_time_days": 5}
    if unit_cost is not None:
        body["unit_cost"] = money(unit_cost)
    response = await api.put(f"/api/v1/products/{sku}", body)
    assert response.status_code == 200, response.text


async def _receipt(api: Api, sku: str, warehouse: str, quantity: int, unit_cost: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"quantity": quantity, "reference": "po"}
    if unit_cost is not None:
        body["unit_cost"] = money(unit_cost)
    response = await api.post(f"/api/v1/stock/{sku}/{warehouse}/receipts", body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _stock(api: Api, sku: str, warehouse: str, position: int) -> dict[str, Any]:
    response = await api.seen(f"/api/v1/stock/{sku}/{warehouse}", position)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _amount(value: dict[str, str]) -> Decimal:
    return Decimal(value["amount"])


async def test_receipts_move_the_average_cost_and_a_shipment_records_cogs_at_that_moment(api: Api) -> None:
    await api.catalog(warehouses=("W1", "W2"))
    await _product(api, "A", unit_cost="4.00")
    await _receipt(api, "A", "W1", 10, "5.00")
    receipt = await _receipt(api, "A", "W1", 10, "8.00")
    assert receipt["unit_cost"] == money("6.50")  # (10 × 5 + 10 × 8) / 20
    assert receipt["value"] == money("130.00")
    order = await api.place("C-1", [{"sku": "A", "quantity": 3, "unit_price": money("20.00")}])
    shipped = await api.post(
        f"/api/v1/orders/{order['id']}/shipments", {"warehouse": "W1", "carrier": "DHL", "tracking_number": "T"}
    )
    assert shipped.status_code == 201, shipped.text
    assert shipped.json()["cogs"] == money("19.50")  # 3 × 6.50
    assert shipped.json()["margin"] == money("40.50")  # 60.00 − 19.50
    later = await _receipt(api, "A", "W1", 3, "10.00")
    assert _amount(later["unit_cost"]) == Decimal("7.025")  # (17 × 6.50 + 3 × 10) / 20
    assert later["value"] == money("140.50")
    shown = (await api.seen(f"/api/v1/orders/{order['id']}", later["position"])).json()
    assert shown["cogs"] == money("19.50")  # the cost of its moment, not today's average
    assert shown["margin"] == money("40.50")
    assert shown["refunded"] == money("0.00")
    stock = await _stock(api, "A", "W1", later["position"])
    assert (stock["on_hand"], _amount(stock["unit_cost"]), stock["value"]) == (20, Decimal("7.025"), money("140.50"))


async def test_a_receipt_without_a_cost_takes_the_standard_cost_then_the_average(api: Api) -> None:
    await api.catalog(warehouses=("W1",))
    await _product(api, "B", unit_cost="3.00")
    first = await _receipt(api, "B", "W1", 4, None)
    assert (first["unit_cost"], first["value"]) == (money("3.00"), money("12.00"))
    await _receipt(api, "B", "W1", 4, "5.00")
    third = await _receipt(api, "B", "W1", 2, None)  # at the current average 4.00: unchanged
    assert (third["unit_cost"], third["value"]) == (money("4.00"), money("40.00"))
    await _product(api, "N")
    unknown = await _receipt(api, "N", "W1", 1, None)
    assert (unknown["unit_cost"], unknown["value"]) == (None, None)


async def test_a_transfer_carries_the_source_average_into_the_destination_average(api: Api) -> None:
    await api.catalog(warehouses=("W1", "W2"))
    await _product(api, "T")
    await _receipt(api, "T", "W1", 10, "6.00")
    await _receipt(api, "T", "W2", 5, "9.00")
    transfer = await api.post(
        "/api/v1/transfers", {"sku": "T", "from_warehouse": "W1", "to_warehouse": "W2", "quantity": 5}
    )
    assert transfer.status_code == 201, transfer.text
    received = await api.post(f"/api/v1/transfers/{transfer.json()['id']}/receive")
    assert received.status_code == 200, received.text
    target = await _stock(api, "T", "W2", received.json()["position"])
    assert (target["on_hand"], target["unit_cost"], target["value"]) == (10, money("7.50"), money("75.00"))
    source = await _stock(api, "T", "W1", received.json()["position"])
    assert (source["on_hand"], source["unit_cost"], source["value"]) == (5, money("6.00"), money("30.00"))


async def test_the_audited_stock_state_as_of_an_earlier_version_shows_the_cost_of_its_time(api: Api) -> None:
    await api.catalog(warehouses=("W1",))
    await _product(api, "H")
    first = await _receipt(api, "H", "W1", 2, "1.00")
    await _receipt(api, "H", "W1", 2, "3.00")
    stream = stock_id("H", "W1")
    then = await api.get(f"/api/v1/audit/streams/{stream}/state?version={first['version']}", role="auditor")
    assert then.status_code == 200, then.text
    assert Decimal(then.json()["state"]["unit_cost"]) == Decimal("1.00")
    now = await api.get(f"/api/v1/audit/streams/{stream}/state", role="auditor")
    assert Decimal(now.json()["state"]["unit_cost"]) == Decimal("2.00")


async def test_an_order_shipped_without_any_known_cost_has_zero_cogs_and_its_total_as_margin(api: Api) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 5)
    order = (await api.post("/api/v1/orders", order_body("C-0"))).json()
    shipped = await api.post(
        f"/api/v1/orders/{order['id']}/shipments", {"warehouse": "W1", "carrier": "DHL", "tracking_number": "T"}
    )
    assert shipped.json()["cogs"] == money("0.00")
    assert shipped.json()["margin"] == shipped.json()["total"]
