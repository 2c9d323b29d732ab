"""Settlement matching as pure rules: exact reference first, then amount within tolerance and date within
±3 days for the same order; ties are never auto-matched; 1:1, one line to many payments, many lines to one.

Every decision comes back with its inputs, a score and reasons, so the caller can record it as an event.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import combinations
from typing import Any

DATE_WINDOW_DAYS = 3
MAX_GROUP = 4  # one-to-many / many-to-one: groups of at most this many items are tried


@dataclass(frozen=True)
class Line:
    """One settlement line (amount signed as the provider sent it)."""

    line_no: int
    reference: str
    type: str
    amount: Decimal
    fee: Decimal | None
    occurred_on: date
    order_external_id: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A recorded payment or refund that a settlement line may cover."""

    reference: str
    kind: str  # "payment" | "refund"
    amount: Decimal
    occurred_on: date
    order_external_id: str | None
    customer_id: str | None = None
    order_paid: bool = True
    claimed: bool = False


@dataclass(frozen=True)
class Match:
    line_nos: tuple[int, ...]
    references: tuple[str, ...]
    kind: str
    amount: Decimal
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    kind: str
    line_no: int | None
    reference: str | None
    difference: Decimal
    candidates: tuple[dict[str, Any], ...] = ()


@dataclass
class Outcome:
    matches: list[Match] = field(default_factory=list)
    exceptions: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class Rules:
    tolerance: Decimal = Decimal("0.01")
    fee_rate: Decimal | None = None
    fee_fixed: Decimal = Decimal(0)


def net(line: Line) -> Decimal:
    """What a line adds to the payout: payments in, refunds and fees out, adjustments as signed; minus its fee."""
    signed = {"payment": abs(line.amount), "refund": -abs(line.amount), "fee": -abs(line.amount)}.get(
        line.type, line.amount
    )
    return signed - abs(line.fee or Decimal(0))


def fee_variance(line: Line, rules: Rules) -> Finding | None:
    """A line's fee differs from rate × amount + fixed by more than max(0.01, 10 %) of the expected fee."""
    if rules.fee_rate is None or line.fee is None or line.type != "payment":
        return None
    expected = rules.fee_rate * abs(line.amount) + rules.fee_fixed
    difference = abs(line.fee) - expected
    if abs(difference) <= max(Decimal("0.01"), expected * Decimal("0.10")):
        return None
    return Finding("fee_variance", line.line_no, line.reference, difference.quantize(Decimal("0.0001")))


def _near(a: date, b: date) -> bool:
    return abs((a - b).days) <= DATE_WINDOW_DAYS


def _summary(c: Candidate, score: float, reasons: list[str]) -> dict[str, Any]:
    return {"ref": c.reference, "score": score, "reasons": reasons}


class _Matcher:
    def __init__(self, candidates: list[Candidate], rules: Rules) -> None:
        self.rules = rules
        self.by_ref: dict[tuple[str, str], Candidate] = {(c.kind, c.reference): c for c in candidates}
        self.by_order: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
        for c in candidates:
            if c.order_external_id and not c.claimed:
                self.by_order[(c.kind, c.order_external_id)].append(c)
        self.claimed = {(c.kind, c.reference) for c in candidates if c.claimed}
        self.paid_orders = {c.order_external_id for c in candidates if c.kind == "payment" and c.order_paid}
        self.payment_refs = {c.reference for c in candidates if c.kind == "payment"}
        self.outcome = Outcome()

    def close(self, amount: Decimal, other: Decimal) -> bool:
        return abs(abs(amount) - abs(other)) <= self.rules.tolerance

    def claim(self, lines: list[Line], found: list[Candidate], score: float, reasons: list[str]) -> None:
        for c in found:
            self.claimed.add((c.kind, c.reference))
        self.outcome.matches.append(
            Match(
                tuple(ln.line_no for ln in lines),
                tuple(c.reference for c in found),
                found[0].kind,
                sum((abs(ln.amount) for ln in lines), Decimal(0)),
                score,
                tuple(reasons),
            )
        )

    def by_reference(self, line: Line) -> bool:
        """Exact reference: a match, a duplicate (already covered) or an amount mismatch. False: no such ref."""
        kind = line.type
        found = self.by_ref.get((kind, line.reference))
        if found is None:
            return False
        if (kind, found.reference) in self.claimed:
            self.outcome.exceptions.append(Finding("duplicate", line.line_no, line.reference, abs(line.amount)))
        elif self.close(line.amount, found.amount):
            self.claim([line], [found], 1.0, ["reference", "amount"])
        else:
            difference = abs(line.amount) - abs(found.amount)
            summary = _summary(found, 0.5, ["reference"])
            self.outcome.exceptions.append(
                Finding("amount_mismatch", line.line_no, line.reference, difference, (summary,))
            )
            self.claimed.add((kind, found.reference))
        return True

    def open_candidates(self, line: Line) -> list[Candidate]:
        if not line.order_external_id:
            return []
        pool = self.by_order.get((line.type, line.order_external_id), [])
        return [c for c in pool if (c.kind, c.reference) not in self.claimed and _near(c.occurred_on, line.occurred_on)]

    def by_amount_and_date(self, line: Line) -> bool:
        """Same order, amount within tolerance, date within ±3 days: exactly one candidate matches; ties never."""
        pool = self.open_candidates(line)
        single = [c for c in pool if self.close(line.amount, c.amount)]
        reasons = ["amount", "date", "order"]
        if len(single) == 1:
            self.claim([line], single, 0.8, reasons)
            return True
        if len(single) > 1:
            tied = tuple(_summary(c, 0.8, reasons) for c in single)
            self.outcome.exceptions.append(Finding("unmatched_settlement", line.line_no, None, abs(line.amount), tied))
            return True
        for size in range(2, min(MAX_GROUP, len(pool)) + 1):  # one line paying several recorded items
            groups = [
                g for g in combinations(pool, size) if self.close(line.amount, sum((c.amount for c in g), Decimal(0)))
            ]
            if len(groups) == 1:
                self.claim([line], list(groups[0]), 0.7, [*reasons, "sum"])
                return True
            if groups:
                return False
        return False

    def many_to_one(self, lines: list[Line]) -> list[Line]:
        """Several lines of one order adding up to one recorded item; returns the lines still unmatched."""
        left: list[Line] = []
        by_order: dict[tuple[str, str | None], list[Line]] = defaultdict(list)
        for line in lines:
            by_order[(line.type, line.order_external_id)].append(line)
        for (_, order), group in by_order.items():
            if order is None or len(group) < 2:
                left.extend(group)
                continue
            used: set[int] = set()
            for c in self.open_candidates(group[0]):
                for size in range(min(MAX_GROUP, len(group)), 1, -1):
                    free = [ln for ln in group if ln.line_no not in used]
                    combo = next(
                        (
                            g
                            for g in combinations(free, size)
                            if self.close(c.amount, sum((ln.amount for ln in g), Decimal(0)))
                        ),
                        None,
                    )
                    if combo:
                        self.claim(list(combo), [c], 0.7, ["amount", "date", "order", "sum"])
                        used.update(ln.line_no for ln in combo)
                        break
            left.extend(ln for ln in group if ln.line_no not in used)
        return left

    def unmatched(self, line: Line) -> None:
        kind = "unmatched_settlement"
        paid = line.order_external_id in self.paid_orders or line.reference in self.payment_refs
        if line.type == "refund" and not paid:
            kind = "refund_without_payment"
        self.outcome.exceptions.append(Finding(kind, line.line_no, line.reference, abs(line.amount)))


def match(lines: list[Line], candidates: list[Candidate], rules: Rules, payout: Decimal | None = None) -> Outcome:
    """Match one settlement's lines against the recorded payments and refunds (see the module docstring)."""
    matcher = _Matcher(candidates, rules)
    seen: set[tuple[str, str]] = set()
    pending: list[Line] = []
    for line in lines:
        variance = fee_variance(line, rules)
        if variance is not None:
            matcher.outcome.exceptions.append(variance)
        if line.type not in ("payment", "refund"):
            continue
        if (line.type, line.reference) in seen:  # the same line twice in one payout
            matcher.outcome.exceptions.append(Finding("duplicate", line.line_no, line.reference, abs(line.amount)))
            continue
        seen.add((line.type, line.reference))
        if not matcher.by_reference(line) and not matcher.by_amount_and_date(line):
            pending.append(line)
    for line in matcher.many_to_one(pending):
        matcher.unmatched(line)
    if payout is not None:
        total = sum((net(line) for line in lines), Decimal(0))
        if abs(total - payout) > rules.tolerance:
            matcher.outcome.exceptions.append(Finding("payout_total_mismatch", None, None, payout - total))
    return matcher.outcome
