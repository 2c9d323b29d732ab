"""Money request and response bodies (issue 10): refunds, after-sales actions, returns, settlements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from msgspec import Meta

from api.schemas import LINE, Amount, Body, Code, Currency, Money, Note, SkuQuantity, Text
from api.views import MoneyOut, Out, money
from application.base import Result
from domain.costing import Cost

Lines = Annotated[list[SkuQuantity], Meta(min_length=1, max_length=200)]
Reference = Annotated[str, Meta(min_length=1, max_length=200, pattern=LINE)]
OccurredAt = Annotated[
    str,
    Meta(
        pattern=r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
        r"([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$",
        description="date or RFC 3339 time",
    ),
]
SignedAmount = Annotated[
    str, Meta(pattern=r"^-?\d{1,12}(\.\d{1,4})?$", examples=["-12.50"], description="signed decimal string")
]


def cost_of(value: Money | None) -> Cost | None:
    return Cost(Decimal(value.amount), value.currency) if value is not None else None


class RefundIn(Body, kw_only=True):
    amount: Money
    reason: Text
    lines: Lines | None = None
    reference: Reference | None = None
    ticket_id: UUID | None = None


class DecisionIn(Body, kw_only=True):
    note: Note | None = None


class RefundOut(Out, kw_only=True):
    id: UUID
    order_id: UUID
    amount: MoneyOut
    status: str
    reason: str | None = None
    reference: str | None = None
    ticket_id: UUID | None = None
    return_id: UUID | None = None
    requested_by: dict[str, Any] | None = None
    decided_by: dict[str, Any] | None = None
    note: str | None = None
    version: int
    position: int | None = None


def refund_view(result: Result) -> RefundOut:
    r = result.aggregate
    return RefundOut(
        id=r.id,
        order_id=UUID(r.order_id),
        amount=money(r.amount, r.currency),
        status=r.status,
        reason=r.reason,
        reference=r.reference,
        ticket_id=UUID(r.ticket_id) if r.ticket_id else None,
        return_id=UUID(r.return_id) if r.return_id else None,
        requested_by=r.requested_by,
        decided_by=r.decided_by,
        note=r.note,
        version=r.version,
        position=result.position,
    )


# ---- settlements --------------------------------------------------------------------------------------


class SettlementLineIn(Body, kw_only=True):
    reference: Reference
    type: Literal["payment", "refund", "fee", "adjustment"]
    amount: SignedAmount
    fee: Amount | None = None
    occurred_at: OccurredAt
    order_external_id: Reference | None = None


class SignedMoney(Body, kw_only=True):
    amount: SignedAmount
    currency: Currency


class SettlementIn(Body, kw_only=True):
    provider: Code
    payout_id: Reference
    payout_date: date
    payout_amount: SignedMoney
    lines: Annotated[list[SettlementLineIn], Meta(max_length=20_000)]
