"""Unit costs: the moving-average rule and how money amounts are rounded (pure, Decimal only)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from domain.base import DomainError

COST_PLACES = Decimal("0.0001")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Cost:
    """A unit cost with its currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise DomainError("unit_cost.amount must not be negative")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise DomainError("currency must be a three-letter ISO 4217 code")

    @classmethod
    def of(cls, amount: str | None, currency: str | None) -> Cost | None:
        """A cost from an event's optional fields (None when the event carried none)."""
        return cls(Decimal(amount), currency) if amount is not None and currency else None


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def moving_average(on_hand: int, average: Cost | None, quantity: int, cost: Cost) -> Cost:
    """The new average after `quantity` units arrive at `cost` on top of `on_hand` units at `average`.

    Without stock (or without a known average) the arrival's cost is the average. Averages keep 4 places.
    """
    if average is not None and average.currency != cost.currency:
        raise DomainError(f"cost currency {cost.currency} differs from the stock's {average.currency}")
    if average is None or on_hand <= 0:
        return Cost(cost.amount.quantize(COST_PLACES, rounding=ROUND_HALF_UP), cost.currency)
    total = average.amount * on_hand + cost.amount * quantity
    amount = (total / (on_hand + quantity)).quantize(COST_PLACES, rounding=ROUND_HALF_UP)
    return Cost(amount, cost.currency)


def line_cost(quantity: int, unit_cost: Decimal) -> Decimal:
    """The cost of `quantity` units, in cents (COGS of one shipment line, value of a stock level)."""
    return cents(unit_cost * quantity)
