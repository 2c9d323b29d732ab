"""Order aggregate: placed once per (channel, external_id), then paid, shipped, delivered, returned or cancelled."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.base import (
    DomainError,
    InvalidTransitionError,
    Meta,
    ShopAggregate,
    ShopCreated,
    ShopEvent,
    require_positive,
    stable_id,
)

CANCELLABLE = frozenset({"placed", "allocated", "partially_allocated", "backordered"})
SHIPPABLE = CANCELLABLE | {"partially_shipped"}


def order_id(channel: str, external_id: str) -> UUID:
    """The order id is derived from (channel, external_id): placing the same channel order twice is one order."""
    return stable_id("order", channel, external_id)


def line_totals(lines: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(line["unit_price"]) * line["quantity"] for line in lines), Decimal("0"))


class Order(ShopAggregate):
    """A customer order and its fulfilment state."""

    TOPIC = "shopops.order"

    class Created(ShopCreated):
        """An order was placed."""

        TOPIC = "shopops.order.placed"
        channel: str
        external_id: str
        customer: dict[str, Any]
        lines: list[dict[str, Any]]
        currency: str
        total: str

    class PaymentRecorded(ShopEvent):
        TOPIC = "shopops.order.payment_recorded"
        amount: str
        reference: str

        def apply(self, aggregate: Any) -> None:
            aggregate.paid = str(Decimal(aggregate.paid) + Decimal(self.amount))

    class Cancelled(ShopEvent):
        TOPIC = "shopops.order.cancelled"
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "cancelled"

    class Shipped(ShopEvent):
        TOPIC = "shopops.order.shipped"
        warehouse: str
        carrier: str
        tracking_number: str
        lines: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            for line in self.lines:
                aggregate.shipped[line["sku"]] = aggregate.shipped.get(line["sku"], 0) + line["quantity"]
                aggregate.shipped_from.setdefault(line["sku"], self.warehouse)
            aggregate.status = "shipped" if aggregate.unshipped() == {} else "partially_shipped"

    class Allocated(ShopEvent):
        """The dispatch decision: reservations per warehouse, backorders, and the routing that chose them."""

        TOPIC = "shopops.order.allocated"
        allocations: list[dict[str, Any]]
        backordered: list[dict[str, Any]]
        decision: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            for row in self.allocations:
                by_wh = aggregate.allocations.setdefault(row["sku"], {})
                by_wh[row["warehouse"]] = by_wh.get(row["warehouse"], 0) + row["quantity"]
            aggregate.backordered = {row["sku"]: row["quantity"] for row in self.backordered}
            aggregate.status = aggregate.allocation_status()

    class Delivered(ShopEvent):
        TOPIC = "shopops.order.delivered"

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "delivered"

    class Returned(ShopEvent):
        TOPIC = "shopops.order.returned"
        lines: list[dict[str, Any]]
        reason: str

        def apply(self, aggregate: Any) -> None:
            for line in self.lines:
                aggregate.returned[line["sku"]] = aggregate.returned.get(line["sku"], 0) + line["quantity"]
            if all(aggregate.returned.get(sku, 0) >= qty for sku, qty in aggregate.shipped.items()):
                aggregate.status = "returned"

    def __init__(
        self,
        channel: str,
        external_id: str,
        customer: dict[str, Any],
        lines: list[dict[str, Any]],
        currency: str,
        total: str,
        meta: dict[str, Any],
    ) -> None:
        self.placed_at = datetime.fromisoformat(meta["business_time"])
        self.channel = channel
        self.external_id = external_id
        self.customer = customer
        self.lines = lines
        self.currency = currency
        self.total = total
        self.paid = "0"
        self.status = "placed"
        self.shipped: dict[str, int] = {}
        self.shipped_from: dict[str, str] = {}
        self.returned: dict[str, int] = {}
        self.allocations: dict[str, dict[str, int]] = {}
        self.backordered: dict[str, int] = {}

    @classmethod
    def place(
        cls,
        channel: str,
        external_id: str,
        customer: dict[str, Any],
        lines: list[dict[str, Any]],
        meta: Meta,
    ) -> Order:
        """Place an order. Lines are `{sku, quantity, unit_price, currency}`; one currency per order."""
        if not lines:
            raise DomainError("an order needs at least one line")
        currencies = {line["currency"] for line in lines}
        if len(currencies) != 1:
            raise DomainError("all lines of an order must use one currency")
        merged: dict[str, dict[str, Any]] = {}
        for line in lines:
            require_positive(line["quantity"], f"quantity of {line['sku']}")
            if Decimal(line["unit_price"]) < 0:
                raise DomainError(f"unit_price of {line['sku']} must not be negative")
            if line["sku"] in merged:
                raise DomainError(f"SKU {line['sku']} appears on more than one line")
            merged[line["sku"]] = {
                "sku": line["sku"],
                "quantity": line["quantity"],
                "unit_price": str(line["unit_price"]),
                **({"promo": True} if line.get("promo") else {}),
                **({"hold_id": str(line["hold_id"])} if line.get("hold_id") else {}),  # a checkout hold it converts
            }
        stored = list(merged.values())
        return cls._create(
            cls.Created,
            id=order_id(channel, external_id),
            channel=channel,
            external_id=external_id,
            customer=customer,
            lines=stored,
            currency=currencies.pop(),
            total=str(line_totals(stored)),
            meta=meta.as_dict(),
        )

    def ordered(self) -> dict[str, int]:
        return {line["sku"]: line["quantity"] for line in self.lines}

    def unshipped(self) -> dict[str, int]:
        left = {sku: qty - self.shipped.get(sku, 0) for sku, qty in self.ordered().items()}
        return {sku: qty for sku, qty in left.items() if qty > 0}

    def allocated_units(self) -> int:
        return sum(sum(by_wh.values()) for by_wh in self.allocations.values())

    def allocation_status(self) -> str:
        if not self.backordered:
            return "allocated"
        return "partially_allocated" if self.allocated_units() else "backordered"

    def needs_allocation(self) -> dict[str, int]:
        """What is still to be allocated: everything when placed, the backorders after a first decision."""
        if self.status == "placed":
            return self.ordered()
        if self.status in ("partially_allocated", "backordered"):
            return dict(self.backordered)
        return {}

    def allocate(
        self, allocations: dict[str, dict[str, int]], backordered: dict[str, int], decision: dict[str, Any], meta: Meta
    ) -> None:
        """Record a routing decision (the caller reserves the same quantities in the same save)."""
        needed = self.needs_allocation()
        if not needed:
            raise InvalidTransitionError(f"an order that is {self.status} needs no allocation")
        for sku in needed.keys() | allocations.keys() | backordered.keys():
            decided = sum(allocations.get(sku, {}).values()) + backordered.get(sku, 0)
            if decided != needed.get(sku, 0):
                raise DomainError(f"allocation of {sku} ({decided}) does not match the {needed.get(sku, 0)} needed")
        self.record(
            self.Allocated,
            meta,
            allocations=[
                {"sku": sku, "warehouse": wh, "quantity": qty}
                for sku, by_wh in sorted(allocations.items())
                for wh, qty in sorted(by_wh.items())
            ],
            backordered=[{"sku": sku, "quantity": qty} for sku, qty in sorted(backordered.items())],
            decision=decision,
        )

    def record_payment(self, amount: Decimal, currency: str, reference: str, meta: Meta) -> None:
        if self.status == "cancelled":
            raise InvalidTransitionError("a cancelled order takes no payments")
        if currency != self.currency:
            raise DomainError(f"payment currency {currency} differs from the order's {self.currency}")
        if amount <= 0:
            raise DomainError("a payment amount must be positive")
        if Decimal(self.paid) + amount > Decimal(self.total):
            raise InvalidTransitionError(
                f"payment exceeds the outstanding balance of {Decimal(self.total) - Decimal(self.paid)}"
            )
        self.record(self.PaymentRecorded, meta, amount=str(amount), reference=reference)

    def cancel(self, reason: str, meta: Meta) -> bool:
        """Cancel before shipping. Returns False when it was already cancelled (nothing recorded)."""
        if self.status == "cancelled":
            return False
        if self.status not in CANCELLABLE:
            raise InvalidTransitionError(f"an order that is {self.status} cannot be cancelled")
        self.record(self.Cancelled, meta, reason=reason)
        return True

    def ship(
        self, warehouse: str, carrier: str, tracking_number: str, lines: dict[str, int] | None, meta: Meta
    ) -> dict[str, int]:
        """Record a shipment (all unshipped quantities unless lines say otherwise); returns what ships."""
        if self.status not in SHIPPABLE:
            raise InvalidTransitionError(f"an order that is {self.status} cannot be shipped")
        unshipped = self.unshipped()
        shipping = dict(unshipped) if lines is None else lines
        if not shipping:
            raise DomainError("nothing to ship")
        for sku, qty in shipping.items():
            require_positive(qty, f"quantity of {sku}")
            if qty > unshipped.get(sku, 0):
                raise DomainError(f"{sku}: {qty} exceeds the {unshipped.get(sku, 0)} still to ship")
        self.record(
            self.Shipped,
            meta,
            warehouse=warehouse,
            carrier=carrier,
            tracking_number=tracking_number,
            lines=[{"sku": sku, "quantity": qty} for sku, qty in shipping.items()],
        )
        return shipping

    def deliver(self, meta: Meta) -> None:
        if self.status not in ("shipped", "partially_shipped"):
            raise InvalidTransitionError(f"an order that is {self.status} cannot be delivered")
        self.record(self.Delivered, meta)

    def return_lines(self, lines: dict[str, int], reason: str, meta: Meta) -> None:
        if self.status not in ("shipped", "partially_shipped", "delivered"):
            raise InvalidTransitionError(f"an order that is {self.status} cannot be returned")
        if not lines:
            raise DomainError("a return needs at least one line")
        for sku, qty in lines.items():
            require_positive(qty, f"quantity of {sku}")
            returnable = self.shipped.get(sku, 0) - self.returned.get(sku, 0)
            if qty > returnable:
                raise DomainError(f"{sku}: {qty} exceeds the {returnable} shipped and not yet returned")
        self.record(self.Returned, meta, lines=[{"sku": s, "quantity": q} for s, q in lines.items()], reason=reason)
