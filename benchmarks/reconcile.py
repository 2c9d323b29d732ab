"""Benchmark: matching 10,000 settlement lines against 10,000 recorded payments with the domain rules, next
to a baseline in the same run (a plain reference lookup, the least any matcher must do). JSON on stdout."""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import date, timedelta
from decimal import Decimal

from domain.reconciliation import Candidate, Line, Rules, match


def dataset(size: int, seed: int) -> tuple[list[Line], list[Candidate]]:
    """Payments over 60 days; 80 % of lines carry the reference, 15 % only amount/date/order, 5 % are strays."""
    rng = random.Random(seed)
    start = date(2026, 1, 1)
    payments = [
        Candidate(
            reference=f"pay-{i}",
            kind="payment",
            amount=Decimal(rng.randint(100, 50_000)) / 100,
            occurred_on=start + timedelta(days=rng.randint(0, 59)),
            order_external_id=f"ord-{i}",
        )
        for i in range(size)
    ]
    lines = []
    for i, payment in enumerate(payments):
        roll = rng.random()
        reference = payment.reference if roll < 0.80 else f"psp-{i}"
        order = payment.order_external_id if roll < 0.95 else None
        amount = payment.amount if roll < 0.95 else payment.amount + 1
        occurred = payment.occurred_on + timedelta(days=rng.randint(0, 2))
        lines.append(Line(i, reference, "payment", amount, Decimal("0.30"), occurred, order))
    return lines, payments


def baseline(lines: list[Line], payments: list[Candidate]) -> int:
    by_reference = {p.reference: p for p in payments}
    return sum(1 for line in lines if line.reference in by_reference)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    lines, payments = dataset(args.size, args.seed)
    started = time.perf_counter()
    matched_by_reference = baseline(lines, payments)
    baseline_s = time.perf_counter() - started
    started = time.perf_counter()
    outcome = match(lines, payments, Rules(fee_rate=Decimal("0.00"), fee_fixed=Decimal("0.30")))
    rules_s = time.perf_counter() - started
    kinds: dict[str, int] = {}
    for finding in outcome.exceptions:
        kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
    report = {
        "lines": len(lines),
        "payments": len(payments),
        "baseline_reference_lookup": {"seconds": round(baseline_s, 4), "matched": matched_by_reference},
        "rules": {
            "seconds": round(rules_s, 4),
            "matched_lines": sum(len(m.line_nos) for m in outcome.matches),
            "exceptions": kinds,
        },
        "target_seconds": 10,
        "within_target": rules_s < 10,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
