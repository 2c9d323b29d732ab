"""Settlement files: the contract's CSV columns (payout_id,payout_date,reference,type,amount,fee,occurred_at,
order_external_id; optionally payout_amount and currency) grouped into payouts as the application records them."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.reconciliation import Line, net

REQUIRED = ("payout_id", "payout_date", "reference", "type", "amount", "occurred_at")
TYPES = frozenset({"payment", "refund", "fee", "adjustment"})
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


class SettlementFileError(ValueError):
    """The file does not follow the settlement CSV format (nothing is imported)."""


def _decimal(value: str, what: str, row: int) -> str:
    try:
        return str(Decimal(value))
    except InvalidOperation:
        raise SettlementFileError(f"row {row}: {what} {value!r} is not a decimal") from None


def _line(row: dict[str, str], number: int) -> dict[str, Any]:
    if row["type"] not in TYPES:
        raise SettlementFileError(f"row {number}: type must be one of {sorted(TYPES)}")
    if not DATE.match(row["occurred_at"]) or not DATE.match(row["payout_date"]):
        raise SettlementFileError(f"row {number}: dates must be ISO 8601")
    return {
        "reference": row["reference"],
        "type": row["type"],
        "amount": _decimal(row["amount"], "amount", number),
        "fee": _decimal(row["fee"], "fee", number) if row.get("fee") else None,
        "occurred_at": row["occurred_at"],
        "order_external_id": row.get("order_external_id") or None,
    }


def read_payouts(rows: Iterable[dict[str, str]], provider: str, currency: str) -> list[dict[str, Any]]:
    """Group rows by payout; a payout without `payout_amount` is taken to be the sum of its net lines."""
    payouts: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(rows, start=2):
        missing = [c for c in REQUIRED if not row.get(c)]
        if missing:
            raise SettlementFileError(f"row {number}: missing {', '.join(missing)}")
        payout = payouts.setdefault(
            row["payout_id"],
            {
                "provider": provider,
                "payout_id": row["payout_id"],
                "payout_date": date.fromisoformat(row["payout_date"][:10]).isoformat(),
                "payout_amount": _decimal(row["payout_amount"], "payout_amount", number)
                if row.get("payout_amount")
                else None,
                "currency": row.get("currency") or currency,
                "lines": [],
            },
        )
        payout["lines"].append(_line(row, number))
    for payout in payouts.values():
        if payout["payout_amount"] is None:
            payout["payout_amount"] = str(sum((net(_as_line(ln)) for ln in payout["lines"]), Decimal(0)))
    return list(payouts.values())


def _as_line(row: dict[str, Any]) -> Line:
    fee = Decimal(row["fee"]) if row["fee"] else None
    return Line(
        0, row["reference"], row["type"], Decimal(row["amount"]), fee, date.fromisoformat(row["occurred_at"][:10])
    )


def read_file(handle: Any, provider: str, currency: str) -> list[dict[str, Any]]:
    return read_payouts(csv.DictReader(handle), provider, currency)
