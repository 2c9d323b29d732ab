"""Matching rules on plain values: reference first, amount and date for the same order, ties never matched,
one line for several payments and several lines for one payment; fee variance and payout totals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.reconciliation import Candidate, Line, Rules, match

DAY = date(2026, 3, 10)


def _pay(ref: str, amount: str, order: str = "O-1", day: date = DAY) -> Candidate:
    return Candidate(ref, "payment", Decimal(amount), day, order)


def _line(no: int, ref: str, amount: str, order: str | None = "O-1", fee: str | None = None) -> Line:
    return Line(no, ref, "payment", Decimal(amount), Decimal(fee) if fee else None, DAY, order)


def test_two_payments_with_the_same_amount_for_one_order_are_a_tie_and_never_auto_matched() -> None:
    outcome = match([_line(0, "x", "10.00")], [_pay("a", "10.00"), _pay("b", "10.00")], Rules())
    assert outcome.matches == []
    assert [(e.kind, len(e.candidates)) for e in outcome.exceptions] == [("unmatched_settlement", 2)]


def test_one_line_paying_two_payments_of_its_order_matches_both() -> None:
    outcome = match([_line(0, "x", "30.00")], [_pay("a", "10.00"), _pay("b", "20.00")], Rules())
    assert [m.references for m in outcome.matches] == [("a", "b")]


def test_two_lines_adding_up_to_one_payment_match_it_together() -> None:
    outcome = match([_line(0, "x", "12.00"), _line(1, "y", "8.00")], [_pay("a", "20.00")], Rules())
    assert [(m.line_nos, m.references) for m in outcome.matches] == [((0, 1), ("a",))]


def test_a_payment_four_days_away_is_outside_the_date_window() -> None:
    outcome = match([_line(0, "x", "10.00")], [_pay("a", "10.00", day=date(2026, 3, 14))], Rules())
    assert [e.kind for e in outcome.exceptions] == ["unmatched_settlement"]


def test_a_fee_more_than_ten_percent_off_the_expected_fee_is_a_variance_and_totals_are_checked() -> None:
    rules = Rules(fee_rate=Decimal("0.02"), fee_fixed=Decimal("0.30"))
    lines = [_line(0, "a", "100.00", fee="2.30"), _line(1, "b", "50.00", fee="2.00")]
    outcome = match(
        lines, [_pay("a", "100.00"), _pay("b", "50.00", order="O-2")], rules, Decimal("140.00")
    )  # the lines net to 145.70
    assert sorted(e.kind for e in outcome.exceptions) == ["fee_variance", "payout_total_mismatch"]
    assert len(outcome.matches) == 2
