"""Order commands of the ShopOps application on in-memory persistence: placing, routing and allocating across
warehouses, backorders, payment, cancellation and shipping (no database)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from application.errors import NotFoundError, VersionMismatchError
from application.shopops import ShopOps
from domain.base import DomainError, InvalidTransitionError, UnknownReferenceError
from domain.routing import RoutingPolicy
from tests.unit.conftest import META
from tests.unit.fakes import InMemoryVault

WAREHOUSES = ["W1", "W2", "W3"]
REGIONS = {"W1": "eu-west", "W2": "eu-north", "W3": "eu-south"}
CUSTOMER = {
    "id": "c1",
    "name": "Ann Lee",
    "email": "ann@example.com",
    "address": {"city": "Oslo", "region": "eu-north"},
}


def line(sku: str, quantity: int, price: str = "10.00") -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, "unit_price": Decimal(price), "currency": "EUR"}


def place(
    shop: ShopOps, external_id: str, *lines: dict[str, Any], channel: str = "web", customer: dict[str, Any] = CUSTOMER
) -> UUID:
    return UUID(str(shop.place_order(channel, external_id, customer, list(lines), META).aggregate.id))


def stock(shop: ShopOps, sku: str, **by_warehouse: int) -> None:
    for warehouse, quantity in by_warehouse.items():
        shop.receive_stock(sku, warehouse, quantity, f"po-{sku}-{warehouse}", META)


def dispatch(shop: ShopOps, oid: UUID, policy: RoutingPolicy | None = None) -> Any:
    """What the dispatch worker does: the routing policy's preferences, then allocate over every warehouse."""
    order = shop.order(oid)
    preferred = (policy or RoutingPolicy()).preferred_warehouses(order.channel, order.customer, REGIONS)
    return shop.allocate_order(oid, WAREHOUSES, preferred, META)


def available(shop: ShopOps, sku: str) -> dict[str, int]:
    """Units available per warehouse; 0 where the SKU was never stocked."""
    found: dict[str, int] = {}
    for wh in WAREHOUSES:
        try:
            found[wh] = shop.stock(sku, wh).available
        except NotFoundError:
            found[wh] = 0
    return found


def test_placing_the_same_channel_order_twice_returns_the_first_order(shop: ShopOps) -> None:
    first = shop.place_order("web", "X-1", CUSTOMER, [line("A", 1)], META)
    again = shop.place_order("web", "X-1", CUSTOMER, [line("A", 5)], META)
    assert (first.created, again.created) == (True, False)
    assert again.aggregate.id == first.aggregate.id
    assert shop.order(first.aggregate.id).lines[0]["quantity"] == 1


def test_an_order_for_an_unknown_sku_is_refused_and_records_nothing(shop: ShopOps) -> None:
    before = shop.position()
    with pytest.raises(UnknownReferenceError, match="NOPE"):
        shop.place_order("web", "X-2", CUSTOMER, [line("NOPE", 1)], META)
    assert shop.position() == before


def test_the_customers_contact_data_is_sealed_in_the_vault_and_only_the_region_stays_readable(
    shop: ShopOps, vault: InMemoryVault
) -> None:
    order = shop.order(place(shop, "X-3", line("A", 1)))
    assert set(order.customer) == {"id", "region", "sealed"}
    assert order.customer["region"] == "eu-north"
    assert vault.unseal(order.customer)["email"] == "ann@example.com"
    vault.erase("c1")
    assert vault.unseal(order.customer) == {
        "id": "c1", "name": None, "email": None, "phone": None, "address": None, "erased": True
    }  # fmt: skip


def test_a_warehouse_that_holds_the_whole_order_ships_it_alone(shop: ShopOps) -> None:
    stock(shop, "A", W1=5, W3=2)
    stock(shop, "B", W1=1, W3=4)
    oid = place(shop, "X-4", line("A", 2), line("B", 3))
    dispatch(shop, oid)
    order = shop.order(oid)
    assert (order.status, order.allocations, order.backordered) == ("allocated", {"A": {"W3": 2}, "B": {"W3": 3}}, {})
    assert available(shop, "A") == {"W1": 5, "W2": 0, "W3": 0}
    assert shop.stock("B", "W3").reservations == {str(oid): 3}


def test_an_order_no_warehouse_can_fill_is_split_and_the_rest_backordered(shop: ShopOps) -> None:
    stock(shop, "A", W1=2, W2=1)
    oid = place(shop, "X-5", line("A", 5))
    dispatch(shop, oid)
    order = shop.order(oid)
    assert (order.status, order.allocations, order.backordered) == (
        "partially_allocated",
        {"A": {"W1": 2, "W2": 1}},
        {"A": 2},
    )
    assert available(shop, "A") == {"W1": 0, "W2": 0, "W3": 0}


def test_an_order_with_nothing_in_stock_is_backordered_and_allocated_once_stock_arrives(shop: ShopOps) -> None:
    oid = place(shop, "X-6", line("A", 2))
    dispatch(shop, oid)
    assert (shop.order(oid).status, shop.order(oid).backordered) == ("backordered", {"A": 2})
    version = shop.order(oid).version
    assert dispatch(shop, oid).position is None  # still nothing in stock: no new decision is recorded
    assert shop.order(oid).version == version
    stock(shop, "A", W3=2)
    dispatch(shop, oid)
    order = shop.order(oid)
    assert (order.status, order.allocations, order.backordered) == ("allocated", {"A": {"W3": 2}}, {})


def test_allocating_an_allocated_order_again_records_nothing(shop: ShopOps) -> None:
    stock(shop, "A", W1=3)
    oid = place(shop, "X-7", line("A", 1))
    dispatch(shop, oid)
    version = shop.order(oid).version
    assert dispatch(shop, oid).position is None
    assert (shop.order(oid).version, shop.stock("A", "W1").reserved) == (version, 1)


def test_the_channels_preferred_warehouse_and_the_customers_region_win_over_the_warehouse_code(
    shop: ShopOps,
) -> None:
    stock(shop, "A", W1=9, W2=9, W3=9)
    policy = RoutingPolicy(preferred_by_channel={"amazon": ("W3",)})
    abroad = {"id": "c2", "name": "Bo", "address": {"region": "us-east"}}  # no warehouse in that region
    by_channel = place(shop, "X-8", line("A", 1), channel="amazon", customer=abroad)
    by_region = place(shop, "X-9", line("A", 1))
    dispatch(shop, by_channel, policy)
    dispatch(shop, by_region, policy)
    assert shop.order(by_channel).allocations == {"A": {"W3": 1}}
    assert shop.order(by_region).allocations == {"A": {"W2": 1}}  # the sealed customer kept its region
    [allocated] = [e for e in shop.repository.event_store.get(by_channel) if type(e).__name__ == "Allocated"]
    assert allocated.decision["preferred"] == ["W3"]  # type: ignore[attr-defined]


def test_a_payment_first_channel_waits_for_payment_in_full(shop: ShopOps) -> None:
    policy = RoutingPolicy(payment_first_channels=frozenset({"b2b"}))
    oid = place(shop, "X-10", line("A", 2), channel="b2b")

    def waits() -> bool:
        order = shop.order(oid)
        return policy.waits_for_payment(order.channel, Decimal(order.paid), Decimal(order.total))

    assert waits()
    shop.record_payment(oid, Decimal("15.00"), "EUR", "pay-1", META)
    assert waits()
    shop.record_payment(oid, Decimal("5.00"), "EUR", "pay-2", META)
    assert not waits()
    assert Decimal(shop.order(oid).paid) == Decimal("20.00")


def test_a_payment_beyond_the_balance_or_in_another_currency_is_refused(shop: ShopOps) -> None:
    oid = place(shop, "X-11", line("A", 1, "12.50"))
    shop.record_payment(oid, Decimal("10.00"), "EUR", "pay-1", META)
    version = shop.order(oid).version
    with pytest.raises(InvalidTransitionError, match=r"outstanding balance of 2\.50"):
        shop.record_payment(oid, Decimal("3.00"), "EUR", "pay-2", META)
    with pytest.raises(DomainError, match="differs"):
        shop.record_payment(oid, Decimal("1.00"), "USD", "pay-3", META)
    assert shop.order(oid).version == version


def test_cancelling_releases_every_reservation_in_every_warehouse_in_one_command(shop: ShopOps) -> None:
    stock(shop, "A", W1=1, W2=1)
    stock(shop, "B", W3=2)
    oid = place(shop, "X-12", line("A", 2), line("B", 1))
    dispatch(shop, oid)
    assert available(shop, "A") == {"W1": 0, "W2": 0, "W3": 0}
    before = shop.position()
    shop.cancel_order(oid, "customer changed their mind", META)
    assert shop.order(oid).status == "cancelled"
    assert available(shop, "A") == {"W1": 1, "W2": 1, "W3": 0}
    assert shop.stock("B", "W3").reserved == 0
    assert shop.position() - before == 4  # the order and the three stock records, saved together
    with pytest.raises(InvalidTransitionError):
        shop.record_payment(oid, Decimal("1.00"), "EUR", "late", META)


def test_shipping_consumes_the_reservation_there_and_the_last_warehouse_completes_the_order(shop: ShopOps) -> None:
    stock(shop, "A", W1=2, W2=5)
    oid = place(shop, "X-13", line("A", 4))
    dispatch(shop, oid)
    assert shop.order(oid).allocations == {"A": {"W2": 4}}
    shop.ship_order(oid, "W2", "dhl", "T-1", {"A": 3}, META)
    assert shop.order(oid).status == "partially_shipped"
    assert (shop.stock("A", "W2").on_hand, shop.stock("A", "W2").reserved) == (2, 1)
    shop.ship_order(oid, "W2", "dhl", "T-2", None, META)  # by default what is still reserved there
    order = shop.order(oid)
    assert (order.status, order.shipped, order.shipped_from) == ("shipped", {"A": 4}, {"A": "W2"})
    assert (shop.stock("A", "W2").on_hand, shop.stock("A", "W2").reserved) == (1, 0)
    with pytest.raises(InvalidTransitionError):
        shop.cancel_order(oid, "too late", META)


def test_a_stale_version_is_refused_and_an_unknown_order_is_not_found(shop: ShopOps) -> None:
    oid = place(shop, "X-14", line("A", 1))
    version = shop.order(oid).version
    shop.record_payment(oid, Decimal("1.00"), "EUR", "p1", META, if_match=version)
    with pytest.raises(VersionMismatchError):
        shop.record_payment(oid, Decimal("1.00"), "EUR", "p2", META, if_match=version)
    with pytest.raises(NotFoundError):
        shop.order(UUID(int=7))
