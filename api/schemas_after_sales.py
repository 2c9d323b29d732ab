"""After-sales request and response bodies (issue 10, step 3): ticket actions and return receipts."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from msgspec import Meta

from api.schemas import Amount, Body, Code, Money, Quantity, SkuQuantity, Text
from api.views import MoneyOut, Out, TicketOut, money
from application.base import Result

ActionLines = Annotated[list[SkuQuantity], Meta(max_length=200)]


class ActionIn(Body, kw_only=True):
    """`amount`: `{amount, currency}` (or a bare decimal string in the order's currency); without it a refund
    is the lines' unit prices, and a return's refund the received lines' unit prices."""

    type: Literal["refund", "return", "reship"]
    lines: ActionLines = []  # noqa: RUF012 - msgspec copies defaults
    amount: Money | Amount | None = None
    reason: Text


class ReceivedLineIn(Body, kw_only=True):
    sku: Code
    quantity: Quantity
    condition: Literal["resellable", "damaged"]


class ReceiptIn(Body, kw_only=True):
    warehouse: Code
    lines: Annotated[list[ReceivedLineIn], Meta(min_length=1, max_length=200)]


class ActionOut(Out, kw_only=True):
    id: UUID
    type: str
    status: str
    ticket_id: UUID
    order_id: UUID
    refund_id: UUID | None = None
    replacement_order_id: UUID | None = None
    lines: list[dict[str, Any]] = []  # noqa: RUF012 - msgspec copies defaults
    amount: MoneyOut | None = None
    reason: str | None = None
    warehouse: str | None = None
    received: list[dict[str, Any]] = []  # noqa: RUF012
    written_off: MoneyOut | None = None
    version: int
    position: int | None = None


class TicketWithActionsOut(TicketOut, kw_only=True):
    """GET /tickets/{id}: the ticket and its after-sales timeline (contract v1.1)."""

    actions: list[ActionOut] = []  # noqa: RUF012 - msgspec copies defaults


def action_view(result: Result) -> ActionOut:
    a = result.aggregate
    return ActionOut(
        id=a.id,
        type=a.type,
        status=a.status,
        ticket_id=UUID(a.ticket_id),
        order_id=UUID(a.order_id),
        refund_id=UUID(a.refund_id) if a.refund_id else None,
        replacement_order_id=UUID(a.replacement_order_id) if a.replacement_order_id else None,
        lines=a.lines,
        amount=money(a.amount, a.currency) if a.amount is not None else None,
        reason=a.reason,
        warehouse=a.warehouse,
        received=a.received,
        written_off=money(a.written_off, a.currency) if a.written_off is not None else None,
        version=a.version,
        position=result.position,
    )
