"""Order aggregate: placed once per (channel, external_id), then paid, shipped, delivered, returned or cancelled."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.after_sales import check_returnable
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
from domain.costing import Cost, line_cost
from domain.refund import RefundExceedsPaidError

CANCELLABLE = frozenset({"placed", "allocated", "partially_allocated", "backordered"})
SHIPPABLE = CANCELLABLE | {"partially_shipped"}


def order_id(channel: str, external_id: str) -> UUID:
    """The order id is derived from (channel, external_id): placing the same channel order twice is one order."""
    return stable_id("order", channel, external_id)


def line_totals(lines: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(line["unit_price"]) * line["quantity"] for line in lines), Decimal("0"))



# ---- status rules: one place, used by the aggregate and by the read models that show an order's status ----


def status_after_allocation(any_backordered: bool, allocated_units: int) -> str:
    """After a dispatch decision: everything reserved, some of it, or nothing yet."""
    if not any_backordered:
        return "allocated"
    return "partially_allocated" if allocated_units else "backordered"


def status_after_shipment(fully_shipped: bool) -> str:
    return "shipped" if fully_shipped else "partially_shipped"


def status_after_return(current: str, fully_returned: bool) -> str:
    """An order is `returned` once everything shipped came back; a partial return keeps its status."""
    return "returned" if fully_returned else current

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
                if line.get("unit_cost") is not None:  # money: COGS at the moving-average cost of that moment
                    cost = line_cost(line["quantity"], Decimal(line["unit_cost"]))
                    aggregate.cogs_by_sku[line["sku"]] = str(Decimal(aggregate.cogs_by_sku.get(line["sku"], 0)) + cost)
            aggregate.status = status_after_shipment(fully_shipped=aggregate.unshipped() == {})

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
            fully = all(aggregate.returned.get(sku, 0) >= qty for sku, qty in aggregate.shipped.items())
            aggregate.status = status_after_return(aggregate.status, fully_returned=fully)

    # ---- money: refunds against what was paid (the ceiling is enforced here, on the order's version) ----

    class RefundRequested(ShopEvent):
        """A refund now counts against paid − refunded (pending ones too, so concurrent requests conflict)."""

        TOPIC = "shopops.order.refund_requested"
        refund_id: str
        amount: str

        def apply(self, aggregate: Any) -> None:
            aggregate.refunds[self.refund_id] = {"amount": self.amount, "status": "pending_approval"}

    class RefundApproved(ShopEvent):
        TOPIC = "shopops.order.refund_approved"
        refund_id: str
        amount: str

        def apply(self, aggregate: Any) -> None:
            aggregate.refunds[self.refund_id] = {"amount": self.amount, "status": "approved"}

    class RefundRejected(ShopEvent):
        TOPIC = "shopops.order.refund_rejected"
        refund_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.refunds.pop(self.refund_id, None)

    class AfterSalesClaimed(ShopEvent):
        """After-sales: units under a ticket action (counted against shipped − returned); `lines` [] releases."""

        TOPIC = "shopops.order.after_sales_claimed"
        action_id: str
        kind: str
        lines: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            claim = {"kind": self.kind, "lines": {line["sku"]: line["quantity"] for line in self.lines}}
            aggregate.after_sales[self.action_id] = claim

    def claim_after_sales(self, action_id: str, kind: str, lines: dict[str, int], meta: Meta) -> None:
        """Count an action's lines against shipped − returned − other actions' (409 exceeds_returnable)."""
        check_returnable(self.shipped, self.returned, self.after_sales, lines)
        self.record(self.AfterSalesClaimed, meta, action_id=action_id, kind=kind, lines=_lines(lines))

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
        self.cogs_by_sku: dict[str, str] = {}
        self.refunds: dict[str, dict[str, str]] = {}
        self.after_sales: dict[str, dict[str, Any]] = {}

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

    @property
    def refunded(self) -> Decimal:
        """Approved refunds."""
        return sum((Decimal(r["amount"]) for r in self.refunds.values() if r["status"] == "approved"), Decimal(0))

    def refundable(self) -> Decimal:
        """paid − refunded − refunds awaiting approval: the most a new refund may be."""
        committed = sum((Decimal(r["amount"]) for r in self.refunds.values()), Decimal(0))
        return Decimal(self.paid) - committed

    def request_refund(self, refund_id: str, amount: Decimal, currency: str, approved: bool, meta: Meta) -> None:
        """Count a refund against the ceiling (and approve it at once when no approval is needed)."""
        if currency != self.currency:
            raise DomainError(f"refund currency {currency} differs from the order's {self.currency}")
        if amount <= 0:
            raise DomainError("a refund amount must be positive")
        if amount > self.refundable():
            raise RefundExceedsPaidError(f"refund of {amount} exceeds the {self.refundable()} paid and not refunded")
        self.record(self.RefundRequested, meta, refund_id=refund_id, amount=str(amount))
        if approved:
            self.record(self.RefundApproved, meta, refund_id=refund_id, amount=str(amount))

    def decide_refund(self, refund_id: str, approved: bool, meta: Meta) -> None:
        """A pending refund was approved (now refunded) or rejected (no longer counted)."""
        pending = self.refunds.get(refund_id)
        if pending is None or pending["status"] != "pending_approval":
            raise InvalidTransitionError("the refund is not awaiting approval on this order")
        if approved:
            self.record(self.RefundApproved, meta, refund_id=refund_id, amount=pending["amount"])
        else:
            self.record(self.RefundRejected, meta, refund_id=refund_id)

    @property
    def cogs(self) -> Decimal:
        """Cost of the goods shipped, each shipment at the unit cost of its moment."""
        return sum((Decimal(c) for c in self.cogs_by_sku.values()), Decimal("0"))

    def shipped_unit_cost(self, sku: str) -> Cost | None:
        """The average cost the SKU shipped at (what a returned unit brings back into stock)."""
        if sku not in self.cogs_by_sku or not self.shipped.get(sku):
            return None
        return Cost(Decimal(self.cogs_by_sku[sku]) / self.shipped[sku], self.currency)

    def ordered(self) -> dict[str, int]:
        return {line["sku"]: line["quantity"] for line in self.lines}

    def unshipped(self) -> dict[str, int]:
        left = {sku: qty - self.shipped.get(sku, 0) for sku, qty in self.ordered().items()}
        return {sku: qty for sku, qty in left.items() if qty > 0}

    def allocated_units(self) -> int:
        return sum(sum(by_wh.values()) for by_wh in self.allocations.values())

    def allocation_status(self) -> str:
        return status_after_allocation(bool(self.backordered), self.allocated_units())

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
        self,
        warehouse: str,
        carrier: str,
        tracking_number: str,
        lines: dict[str, int] | None,
        meta: Meta,
        costs: dict[str, Cost] | None = None,
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
            lines=[_shipped_line(sku, qty, (costs or {}).get(sku), self.currency) for sku, qty in shipping.items()],
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
        self.record(self.Returned, meta, lines=_lines(lines), reason=reason)


def _lines(lines: dict[str, int]) -> list[dict[str, Any]]:
    return [{"sku": sku, "quantity": qty} for sku, qty in lines.items()]


def _shipped_line(sku: str, quantity: int, cost: Cost | None, currency: str) -> dict[str, Any]:
    """A shipment line, with its unit cost when one is known in the order's currency."""
    line: dict[str, Any] = {"sku": sku, "quantity": quantity}
    if cost is not None and cost.currency == currency:
        line["unit_cost"] = str(cost.amount)
    return line
