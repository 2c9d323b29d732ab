"""After-sales commands from tickets: refund, return authorisation (then receipt with inspection) and reship.

Every action writes the ticket, the order (its after-sales claim: the limit shipped − returned), the action
and what it creates (refund, replacement order) in one save; concurrent actions conflict on the order's
version and are decided again, so together they never exceed what was shipped.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from application.base import Result
from application.refunds import RefundCommands
from domain.after_sales import AfterSalesAction, TicketWithoutOrderError, refund_action_id, write_off
from domain.base import DomainError, Meta
from domain.costing import cents
from domain.order import Order
from domain.refund import Refund, needs_approval
from domain.stock import Stock


class AfterSalesCommands(RefundCommands):
    """After-sales commands (see the module docstring). Mixed in before RefundCommands (its refund hook)."""

    def after_sales_action(self, action_id: UUID) -> AfterSalesAction:
        return self._load(action_id, AfterSalesAction, "after-sales action")

    def take_action(
        self,
        tid: UUID,
        type_: str,
        lines: dict[str, int],
        amount: Decimal | None,
        currency: str | None,
        reason: str,
        meta: Meta,
    ) -> Result:
        """Start a `refund`, `return` or `reship` on the ticket's order (409 beyond shipped − returned)."""
        if type_ in ("return", "reship") and not lines:
            raise DomainError(f"a {type_} needs at least one line")
        self._require_known(sorted(lines))
        refund_id = str(uuid4())
        action_id = refund_action_id(refund_id) if type_ == "refund" else uuid4()

        def attempt() -> Result:
            ticket = self.ticket(tid)
            if not ticket.order_id:
                raise TicketWithoutOrderError("the ticket is not linked to an order")
            order = self.order(UUID(ticket.order_id))
            if currency is not None and currency != order.currency:
                raise DomainError(f"amount currency {currency} differs from the order's {order.currency}")
            reships = sum(1 for claim in order.after_sales.values() if claim["kind"] == "reship")
            if lines:
                order.claim_after_sales(str(action_id), type_, lines, meta)
            ticket.take_action(str(action_id), type_, meta)
            links: dict[str, Any] = {"ticket_id": str(tid), "order_id": str(order.id)}
            details: dict[str, Any] = {"lines": _lines(lines), "currency": order.currency, "reason": reason}
            details |= {"status": "authorised", "amount": str(amount) if amount is not None else None}
            created: list[Aggregate] = []
            if type_ == "refund":
                value = amount if amount is not None else _value(order, lines)
                refund = self._new_refund(order, refund_id, value, {"reason": reason, "ticket_id": str(tid)}, meta)
                refund_details = {"lines": _lines(lines), "amount": str(value), "status": refund.status}
                links["refund_id"], details = refund_id, {**details, **refund_details}
                created.append(refund)
            elif type_ == "reship":
                replacement = _replacement(order, reships + 1, lines, meta)
                links["replacement_order_id"], details["status"] = str(replacement.id), "placed"
                created.append(replacement)
            action = AfterSalesAction.start(action_id, type_, links, details, meta)
            return self._commit(order, ticket, action, *created, primary=action, created=True)

        return self._retrying(attempt)

    def _new_refund(self, order: Order, refund_id: str, amount: Decimal, details: dict[str, Any], meta: Meta) -> Refund:
        """A refund counted against the order's ceiling (the approval rule applies), not yet saved."""
        pending = needs_approval(amount, self.refund_approval_above)
        order.request_refund(refund_id, amount, order.currency, not pending, meta)
        return Refund.request(UUID(refund_id), order.id, amount, order.currency, {**details, "pending": pending}, meta)

    def receive_return(self, action_id: UUID, warehouse: str, lines: list[dict[str, Any]], meta: Meta) -> Result:
        """Goods of a return arrive: resellable units restocked at the cost they shipped at, damaged ones
        written off (`return_damaged`), the order counts them returned, and their refund is requested."""
        self._require_known(sorted({line["sku"] for line in lines}), (warehouse,))
        refund_id = str(uuid4())

        def attempt() -> Result:
            action = self.after_sales_action(action_id)
            per_sku = action.check_receipt(lines)
            order = self.order(UUID(action.order_id))
            order.claim_after_sales(str(action.id), "return", {}, meta)  # the authorisation is used up
            order.return_lines(per_sku, f"return {action.id}", meta)
            stocks, received, written_off = self._inspect(order, str(action.id), warehouse, lines, meta)
            amount = Decimal(action.amount) if action.amount is not None else _value(order, per_sku)
            touched: list[Aggregate] = [*stocks]
            refund: Refund | None = None
            if amount > 0:
                details = {"reason": action.reason, "lines": _lines(per_sku), "ticket_id": action.ticket_id}
                refund = self._new_refund(order, refund_id, amount, {**details, "return_id": str(action.id)}, meta)
                touched.append(refund)
            action.receive(warehouse, received, written_off, refund_id if refund else None, meta)
            if refund is not None and refund.status == "approved":
                action.change_status("refunded", meta)
            return self._commit(action, order, *touched, primary=action)

        return self._retrying(attempt)

    def _inspect(
        self, order: Order, return_id: str, warehouse: str, lines: list[dict[str, Any]], meta: Meta
    ) -> tuple[list[Stock], list[dict[str, Any]], Decimal]:
        """Restock resellable units and write off damaged ones; returns the stocks, the lines with their
        unit cost and value, and the value written off."""
        stocks: dict[str, Stock] = {}
        received: list[dict[str, Any]] = []
        written_off = Decimal("0")
        for line in lines:
            sku, qty = line["sku"], line["quantity"]
            stock = stocks.setdefault(sku, self._stock_or_open(sku, warehouse, meta))
            cost = order.shipped_unit_cost(sku) or stock.cost() or self._standard_cost(sku)
            value = cents(cost.amount * qty) if cost is not None else None
            if line["condition"] == "resellable":
                stock.restock(str(order.id), qty, meta, cost)
            else:
                write_off(stock, str(order.id), return_id, qty, cost, meta)
                written_off += value or 0
            received.append(
                {**line, "unit_cost": str(cost.amount) if cost else None, "value": str(value) if value else None}
            )
        return list(stocks.values()), received, written_off

    def _after_refund(self, refund: Refund, meta: Meta) -> list[Aggregate]:
        """A decided refund updates its action: a return becomes `refunded`; a refund action follows it."""
        touched = super()._after_refund(refund, meta)
        if refund.return_id:
            action = self._maybe(UUID(refund.return_id))
            if isinstance(action, AfterSalesAction) and refund.status == "approved" and action.status == "received":
                action.change_status("refunded", meta)
                touched.append(action)
            return touched
        action = self._maybe(refund_action_id(str(refund.id)))
        if isinstance(action, AfterSalesAction) and action.status != refund.status:
            action.change_status(refund.status, meta)
            touched.append(action)
        return touched


def _lines(lines: dict[str, int]) -> list[dict[str, Any]]:
    return [{"sku": sku, "quantity": qty} for sku, qty in lines.items()]


def _value(order: Order, lines: dict[str, int]) -> Decimal:
    """What the lines were sold for: quantity × the order line's unit price."""
    prices = {line["sku"]: Decimal(line["unit_price"]) for line in order.lines}
    return cents(sum((prices.get(sku, Decimal(0)) * qty for sku, qty in lines.items()), Decimal(0)))


def _replacement(order: Order, n: int, lines: dict[str, int], meta: Meta) -> Order:
    """A zero-priced replacement order on the same channel, `<original>-R<n>`, for the same customer."""
    zero = [{"sku": s, "quantity": q, "unit_price": "0.00", "currency": order.currency} for s, q in lines.items()]
    return Order.place(order.channel, f"{order.external_id}-R{n}", order.customer, zero, meta)
