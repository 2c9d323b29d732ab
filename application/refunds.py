"""Refund commands: request (counted against the order's paid − refunded in the same save, so concurrent
refunds conflict on the order's version and are retried, never exceeding what was paid), approve, reject.

A refund above `refund_approval_above` waits for a second person (four-eyes); below it is approved at once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from application.base import Result, ShopOpsBase
from domain.base import Meta
from domain.refund import Refund, needs_approval


class RefundCommands(ShopOpsBase):
    """Refund commands (see the module docstring)."""

    refund_approval_above = Decimal("200.00")

    def refund(self, refund_id: UUID) -> Refund:
        return self._load(refund_id, Refund, "refund")

    def request_refund(self, oid: UUID, amount: Decimal, currency: str, details: dict[str, Any], meta: Meta) -> Result:
        """Ask for a refund. `details`: reason, lines?, reference?, ticket_id?, return_id?.

        409 (`refund_exceeds_paid`) when it exceeds what was paid and is not yet refunded or awaiting approval.
        """
        refund_id = uuid4()
        pending = needs_approval(amount, self.refund_approval_above)

        def attempt() -> Result:
            order = self.order(oid)
            order.request_refund(str(refund_id), amount, currency, not pending, meta)
            refund = Refund.request(refund_id, oid, amount, currency, {**details, "pending": pending}, meta)
            return self._commit(order, refund, *self._after_refund(refund, meta), primary=refund, created=True)

        return self._retrying(attempt)

    def approve_refund(self, refund_id: UUID, note: str | None, meta: Meta) -> Result:
        """A second person (finance or admin, never the requester) approves: the order counts it refunded."""
        return self._decide(refund_id, note, meta, approved=True)

    def reject_refund(self, refund_id: UUID, note: str | None, meta: Meta) -> Result:
        """A second person rejects: the amount no longer counts against the order's ceiling."""
        return self._decide(refund_id, note, meta, approved=False)

    def _decide(self, refund_id: UUID, note: str | None, meta: Meta, approved: bool) -> Result:
        def attempt() -> Result:
            refund = self.refund(refund_id)
            if approved:
                refund.approve(note, meta)
            else:
                refund.reject(note, meta)
            order = self.order(UUID(refund.order_id))
            order.decide_refund(str(refund_id), approved, meta)
            return self._commit(refund, order, *self._after_refund(refund, meta), primary=refund)

        return self._retrying(attempt)

    def _after_refund(self, refund: Refund, meta: Meta) -> list[Aggregate]:  # noqa: ARG002 - overridden
        """What else an approved refund changes in the same save (after-sales overrides it: the return)."""
        return []
