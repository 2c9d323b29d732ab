"""After-sales actions started from a ticket: a refund, a return authorisation (authorised → received →
refunded) or a reship. The limit (shipped − returned − units already under an action) is checked here and
recorded on the Order in the same save as the action, so concurrent actions conflict on the order's version."""

from __future__ import annotations

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
from domain.costing import Cost, line_cost

ACTION_TYPES = ("refund", "return", "reship")
CONDITIONS = ("resellable", "damaged")
WRITE_OFF_REASON = "return_damaged"


class ExceedsReturnableError(InvalidTransitionError):
    """The lines exceed what was shipped minus what was returned or is already under an after-sales action."""

    code = "exceeds_returnable"


class TicketWithoutOrderError(InvalidTransitionError):
    """After-sales actions need a ticket linked to an order (409: the ticket's state, not the request)."""

    code = "ticket_without_order"


def refund_action_id(refund_id: str) -> UUID:
    """A refund action's id follows from its refund's, so an approval finds the action to update."""
    return stable_id("after_sales_refund", refund_id)


def check_returnable(
    shipped: dict[str, int], returned: dict[str, int], claimed: dict[str, dict[str, Any]], lines: dict[str, int]
) -> None:
    """Each line ≤ shipped − returned − units under other after-sales actions (pure rule)."""
    for sku, qty in lines.items():
        require_positive(qty, f"quantity of {sku}")
        under_action = sum(c["lines"].get(sku, 0) for c in claimed.values())
        left = shipped.get(sku, 0) - returned.get(sku, 0) - under_action
        if qty > left:
            raise ExceedsReturnableError(
                f"{sku}: {qty} exceeds the {max(left, 0)} shipped and not yet returned or under an after-sales action"
            )


def write_off(
    stock: ShopAggregate, order_id: str, return_id: str, quantity: int, cost: Cost | None, meta: Meta
) -> None:
    """Record damaged returned units written off on the stock of the warehouse that received them."""
    require_positive(quantity)
    fields: dict[str, Any] = {"order_id": order_id, "return_id": return_id, "quantity": quantity}
    if cost is not None:
        value = line_cost(quantity, cost.amount)
        fields |= {"unit_cost": str(cost.amount), "currency": cost.currency, "value": str(value)}
    stock.record(AfterSalesAction.StockWrittenOff, meta, reason=WRITE_OFF_REASON, **fields)


class AfterSalesAction(ShopAggregate):
    """One action of a ticket on its order: links the ticket, the order and the refund / replacement order."""

    TOPIC = "shopops.after_sales"

    class Created(ShopCreated):
        TOPIC = "shopops.after_sales.created"
        type: str
        ticket_id: str
        order_id: str
        lines: list[dict[str, Any]]
        amount: str | None
        currency: str
        reason: str
        status: str
        refund_id: str | None
        replacement_order_id: str | None
        requested_by: dict[str, Any]

    class StockWrittenOff(ShopEvent):
        """Recorded on the STOCK stream (defined here, where its topic is registered): returned units found
        damaged, written off at the cost they shipped at. They never re-enter on-hand, so quantities do not
        change; the event carries the reason (`return_damaged`) and the value."""

        TOPIC = "shopops.stock.return_written_off"
        order_id: str
        return_id: str
        quantity: int
        reason: str
        unit_cost: str | None = None
        currency: str | None = None
        value: str | None = None

        def apply(self, aggregate: Any) -> None:
            """Nothing on hand changes (the units were never restocked)."""

    class Received(ShopEvent):
        """The returned goods arrived and were inspected (lines with condition, unit cost and value)."""

        TOPIC = "shopops.after_sales.received"
        warehouse: str
        lines: list[dict[str, Any]]
        written_off: str
        refund_id: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "received"
            aggregate.received = self.lines
            aggregate.warehouse = self.warehouse
            aggregate.written_off = self.written_off
            aggregate.refund_id = self.refund_id or aggregate.refund_id

    class StatusChanged(ShopEvent):
        """Its refund was decided: a return becomes `refunded`; a refund action follows its refund."""

        TOPIC = "shopops.after_sales.status_changed"
        status: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = self.status

    def __init__(
        self,
        type: str,
        ticket_id: str,
        order_id: str,
        lines: list[dict[str, Any]],
        amount: str | None,
        currency: str,
        reason: str,
        status: str,
        refund_id: str | None,
        replacement_order_id: str | None,
        requested_by: dict[str, Any],
    ) -> None:
        self.type = type
        self.ticket_id = ticket_id
        self.order_id = order_id
        self.lines = lines
        self.amount = amount
        self.currency = currency
        self.reason = reason
        self.status = status
        self.refund_id = refund_id
        self.replacement_order_id = replacement_order_id
        self.requested_by = requested_by
        self.received: list[dict[str, Any]] = []
        self.warehouse: str | None = None
        self.written_off: str | None = None

    @classmethod
    def start(cls, action_id: UUID, type_: str, links: dict[str, Any], details: dict[str, Any], meta: Meta) -> Any:
        """`links`: ticket_id, order_id, refund_id?, replacement_order_id?; `details`: lines, amount?, currency,
        reason, status."""
        if type_ not in ACTION_TYPES:
            raise DomainError(f"type must be one of {', '.join(ACTION_TYPES)}")
        return cls._create(
            cls.Created,
            id=action_id,
            type=type_,
            ticket_id=links["ticket_id"],
            order_id=links["order_id"],
            lines=details["lines"],
            amount=details.get("amount"),
            currency=details["currency"],
            reason=details["reason"],
            status=details["status"],
            refund_id=links.get("refund_id"),
            replacement_order_id=links.get("replacement_order_id"),
            requested_by=meta.actor.as_dict(),
            meta=meta.as_dict(),
        )

    def authorised(self) -> dict[str, int]:
        return {line["sku"]: line["quantity"] for line in self.lines}

    def check_receipt(self, lines: list[dict[str, Any]]) -> dict[str, int]:
        """Received lines (`sku, quantity, condition`) within what was authorised; returns units per SKU."""
        if self.type != "return":
            raise InvalidTransitionError("only a return is received")
        if self.status != "authorised":
            raise InvalidTransitionError(f"a return that is {self.status} cannot be received again")
        if not lines:
            raise DomainError("a receipt needs at least one line")
        per_sku: dict[str, int] = {}
        for line in lines:
            require_positive(line["quantity"], f"quantity of {line['sku']}")
            if line["condition"] not in CONDITIONS:
                raise DomainError(f"condition must be one of {', '.join(CONDITIONS)}")
            per_sku[line["sku"]] = per_sku.get(line["sku"], 0) + line["quantity"]
        authorised = self.authorised()
        for sku, qty in per_sku.items():
            if qty > authorised.get(sku, 0):
                raise ExceedsReturnableError(f"{sku}: {qty} received exceeds the {authorised.get(sku, 0)} authorised")
        return per_sku

    def receive(
        self, warehouse: str, lines: list[dict[str, Any]], written_off: Decimal, refund_id: str | None, meta: Meta
    ) -> None:
        self.record(
            self.Received, meta, warehouse=warehouse, lines=lines, written_off=str(written_off), refund_id=refund_id
        )

    def change_status(self, status: str, meta: Meta) -> None:
        if status != self.status:
            self.record(self.StatusChanged, meta, status=status)
