"""Settlement commands: import a payout once per (provider, payout_id), reconcile it (matches, claims and
exceptions in one save, so nothing is matched twice even across concurrent imports), raise
`unmatched_payment` for payments no settlement covers after the grace period, and resolve exceptions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from application.base import Result, ShopOpsBase
from application.ports import ReconciliationSource
from domain.base import Meta
from domain.reconciliation import Finding, Line, Outcome, Rules, match
from domain.refund import Refund
from domain.settlement import Claim, ReconException, Settlement, claim_id, exception_id, settlement_id


def settlement_lines(payout: Settlement) -> list[Line]:
    return [
        Line(
            line_no=number,
            reference=row["reference"],
            type=row["type"],
            amount=Decimal(row["amount"]),
            fee=Decimal(row["fee"]) if row.get("fee") not in (None, "") else None,
            occurred_on=date.fromisoformat(row["occurred_at"][:10]),
            order_external_id=row.get("order_external_id") or None,
        )
        for number, row in enumerate(payout.lines)
    ]


class SettlementCommands(ShopOpsBase):
    """Settlement commands (see the module docstring)."""

    def import_settlement(self, payout: dict[str, Any], meta: Meta) -> Result:
        """Record a payout; the same (provider, payout_id) again returns the recorded one (created=False)."""
        sid = settlement_id(payout["provider"], payout["payout_id"])
        existing = self._maybe(sid)
        if existing is not None:
            return Result(existing, self.position(), created=False)
        settlement = Settlement.import_payout(payout, meta)
        try:
            return self._commit(settlement, primary=settlement, created=True)
        except IntegrityError:
            return Result(self._load(sid, Settlement, "settlement"), self.position(), created=False)

    def reconcile_settlement(self, sid: UUID, source: ReconciliationSource, rules: Rules, meta: Meta) -> Result:
        """Match the payout's lines; record every match (claims) and exception. Reconciling twice does nothing."""

        def attempt() -> Result:
            payout = self._load(sid, Settlement, "settlement")
            if payout.reconciled:
                return Result(payout, None)
            lines = settlement_lines(payout)
            found = source.candidates([ln.reference for ln in lines], [ln.order_external_id or "" for ln in lines])
            outcome = match(lines, found, rules, Decimal(payout.payout_amount))
            touched, matches = self._claims(payout, outcome, source, meta)
            raised = self._exceptions(payout, outcome.exceptions, meta)
            rule_inputs = {
                "tolerance": str(rules.tolerance),
                "fee_rate": str(rules.fee_rate),
                "fee_fixed": str(rules.fee_fixed),
            }
            payout.record_reconciliation(matches, [str(e.id) for e in raised], rule_inputs, meta)
            return self._commit(payout, *touched, *raised, primary=payout)

        return self._retrying(attempt)

    def _claims(
        self, payout: Settlement, outcome: Outcome, source: ReconciliationSource, meta: Meta
    ) -> tuple[list[Aggregate], list[dict[str, Any]]]:
        """A claim per matched reference; one claimed meanwhile turns the match into a duplicate."""
        touched: list[Aggregate] = []
        recorded: list[dict[str, Any]] = []
        refunds = source.refund_ids([ref for m in outcome.matches if m.kind == "refund" for ref in m.references])
        for m in outcome.matches:
            if any(self._maybe(claim_id(m.kind, ref)) is not None for ref in m.references):
                outcome.exceptions.append(Finding("duplicate", m.line_nos[0], m.references[0], m.amount))
                continue
            how = ",".join(m.reasons)
            touched += [Claim.claim(m.kind, ref, str(payout.id), list(m.line_nos), how, meta) for ref in m.references]
            touched += self._pay_refunds(payout, [refunds[r] for r in m.references if r in refunds], meta)
            recorded.append(
                {
                    "line_nos": list(m.line_nos),
                    "references": list(m.references),
                    "kind": m.kind,
                    "amount": str(m.amount),
                    "score": m.score,
                    "reasons": list(m.reasons),
                    "inputs": [payout.lines[n] for n in m.line_nos],
                }
            )
        return touched, recorded

    def _pay_refunds(self, payout: Settlement, refund_ids: list[str], meta: Meta) -> list[Aggregate]:
        paid: list[Aggregate] = []
        for rid in refund_ids:
            refund = self._maybe(UUID(rid))
            if isinstance(refund, Refund) and refund.mark_paid(payout.provider, payout.payout_id, meta):
                paid.append(refund)
        return paid

    def _exceptions(self, payout: Settlement, found: list[Finding], meta: Meta) -> list[Aggregate]:
        raised: list[Aggregate] = []
        for finding in found:
            key = str(finding.line_no) if finding.line_no is not None else "payout"
            eid = exception_id(finding.kind, str(payout.id), key)
            if self._maybe(eid) is not None or any(a.id == eid for a in raised):
                continue
            line = payout.lines[finding.line_no] if finding.line_no is not None else None
            fields = {
                "kind": finding.kind,
                "settlement_id": str(payout.id),
                "settlement_line": {**line, "line_no": finding.line_no} if line else None,
                "payment": None,
                "difference": str(finding.difference),
                "candidates": list(finding.candidates),
            }
            raised.append(ReconException.raise_(eid, fields, meta))
        return raised

    def raise_unmatched_payments(self, source: ReconciliationSource, before: datetime, meta: Meta) -> int:
        """`unmatched_payment` for each payment recorded before `before` that no settlement covers (once each)."""
        raised = 0
        for payment in source.unclaimed_payments(before):
            eid = exception_id("unmatched_payment", payment["reference"])
            if self._maybe(eid) is not None:
                continue
            fields: dict[str, Any] = {
                "kind": "unmatched_payment",
                "settlement_id": None,
                "settlement_line": None,
                "payment": payment,
                "difference": str(payment["amount"]),
                "candidates": [],
            }
            try:
                self._commit(ReconException.raise_(eid, fields, meta), primary=None)
                raised += 1
            except IntegrityError:
                continue
        return raised

    def resolve_exception(self, eid: UUID, resolution: str, match_to: str | None, note: str, meta: Meta) -> Result:
        """Finance resolves: `match` (claims `match_to`), `write_off` or `ignore`, always with a note."""

        def attempt() -> Result:
            exception = self._load(eid, ReconException, "exception")
            exception.resolve(resolution, match_to, note, meta)
            touched: list[Aggregate] = []
            line = exception.settlement_line or {}
            kind = "refund" if line.get("type") == "refund" else "payment"
            if resolution == "match" and match_to and self._maybe(claim_id(kind, match_to)) is None:
                touched.append(
                    Claim.claim(kind, match_to, exception.settlement_id, [line.get("line_no", -1)], "manual", meta)
                )
            return self._commit(exception, *touched, primary=exception)

        return self._retrying(attempt)
