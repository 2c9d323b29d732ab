"""Refund aggregate: requested, then approved (at once below the threshold, else by a second person) or
rejected, then paid when the provider's settlement shows it. The ceiling lives on the Order (see order.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.base import DomainError, InvalidTransitionError, Meta, ShopAggregate, ShopCreated, ShopEvent


class RefundExceedsPaidError(InvalidTransitionError):
    """More would be refunded than was paid (paid − refunded − refunds awaiting approval)."""

    code = "refund_exceeds_paid"


class FourEyesError(DomainError):
    """The person who asked for a refund cannot approve it."""

    code = "four_eyes"


def needs_approval(amount: Decimal, approval_above: Decimal) -> bool:
    """A refund strictly above the threshold waits for a second person's approval."""
    return amount > approval_above


class Refund(ShopAggregate):
    """Money going back to a customer for an order (optionally for lines, a ticket, a return)."""

    TOPIC = "shopops.refund"

    class Created(ShopCreated):
        """A refund was requested (`status`: approved at once, or pending_approval)."""

        TOPIC = "shopops.refund.requested"
        order_id: str
        amount: str
        currency: str
        reason: str
        lines: list[dict[str, Any]]
        reference: str
        ticket_id: str | None
        return_id: str | None
        requested_by: dict[str, Any]
        status: str

    class Approved(ShopEvent):
        TOPIC = "shopops.refund.approved"
        approver: dict[str, Any]
        note: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "approved"
            aggregate.decided_by = self.approver
            aggregate.note = self.note

    class Rejected(ShopEvent):
        TOPIC = "shopops.refund.rejected"
        approver: dict[str, Any]
        note: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "rejected"
            aggregate.decided_by = self.approver
            aggregate.note = self.note

    class Paid(ShopEvent):
        """The provider paid it out (a settlement's refund line matched it)."""

        TOPIC = "shopops.refund.paid"
        provider: str
        payout_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "paid"
            aggregate.payout = {"provider": self.provider, "payout_id": self.payout_id}

    def __init__(
        self,
        order_id: str,
        amount: str,
        currency: str,
        reason: str,
        lines: list[dict[str, Any]],
        reference: str,
        ticket_id: str | None,
        return_id: str | None,
        requested_by: dict[str, Any],
        status: str,
    ) -> None:
        self.order_id = order_id
        self.amount = amount
        self.currency = currency
        self.reason = reason
        self.lines = lines
        self.reference = reference
        self.ticket_id = ticket_id
        self.return_id = return_id
        self.requested_by = requested_by
        self.status = status
        self.decided_by: dict[str, Any] | None = None
        self.note: str | None = None
        self.payout: dict[str, str] | None = None

    @classmethod
    def request(
        cls, refund_id: UUID, order_id: UUID, amount: Decimal, currency: str, details: dict[str, Any], meta: Meta
    ) -> Refund:
        """`details`: reason, lines, reference, ticket_id, return_id and `pending` (whether it awaits approval)."""
        return cls._create(
            cls.Created,
            id=refund_id,
            order_id=str(order_id),
            amount=str(amount),
            currency=currency,
            reason=details["reason"],
            lines=details.get("lines") or [],
            reference=details.get("reference") or f"refund-{refund_id}",
            ticket_id=details.get("ticket_id"),
            return_id=details.get("return_id"),
            requested_by=meta.actor.as_dict(),
            status="pending_approval" if details["pending"] else "approved",
            meta=meta.as_dict(),
        )

    def _decide(self, meta: Meta) -> None:
        if self.status != "pending_approval":
            raise InvalidTransitionError(f"a refund that is {self.status} cannot be decided again")
        if meta.actor.id == self.requested_by.get("id"):
            raise FourEyesError("the requester of a refund cannot approve or reject it (four-eyes)")

    def approve(self, note: str | None, meta: Meta) -> None:
        self._decide(meta)
        self.record(self.Approved, meta, approver=meta.actor.as_dict(), note=note)

    def reject(self, note: str | None, meta: Meta) -> None:
        self._decide(meta)
        self.record(self.Rejected, meta, approver=meta.actor.as_dict(), note=note)

    def mark_paid(self, provider: str, payout_id: str, meta: Meta) -> bool:
        """Record the payout that paid it; False (nothing recorded) when it is not approved or already paid."""
        if self.status != "approved":
            return False
        self.record(self.Paid, meta, provider=provider, payout_id=payout_id)
        return True
