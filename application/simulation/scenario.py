"""What a simulation replays (daily demand per series, costs, opening stock) and the settings it runs with."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.base import DomainError
from domain.clearance import ClearancePolicy

WEEK = 7


@dataclass(frozen=True)
class SeriesInput:
    """One SKU × warehouse: units asked per day on the scenario's dates (zero before `start`)."""

    series_id: str
    demand: tuple[int, ...]
    start: int  # index of the first day the series has history
    unit_cost: Decimal = Decimal(1)
    on_hand: int | None = None  # opening stock of the window; None = `initial_cover_days` of warm-up demand


@dataclass(frozen=True)
class Scenario:
    """Daily demand of a panel on one date grid; the last `window` days are simulated, the rest is warm-up."""

    first_date: date
    window: int
    series: tuple[SeriesInput, ...]

    def __post_init__(self) -> None:
        if not self.series:
            raise DomainError("the history has no series")
        lengths = {len(s.demand) for s in self.series}
        if len(lengths) != 1:
            raise DomainError("every series must cover the same dates")
        if not 1 <= self.window <= self.length:
            raise DomainError(f"the window must be between 1 and {self.length} days, got {self.window}")

    @property
    def length(self) -> int:
        return len(self.series[0].demand)

    @property
    def warmup(self) -> int:
        return self.length - self.window

    def day(self, index: int) -> date:
        return self.first_date + timedelta(days=index)


@dataclass(frozen=True)
class SimulationSettings:
    """The replenishment policy both runs share, and what the forecast policy adds (refresh and clearance)."""

    lead_time_days: int = 7
    review_days: int = WEEK
    safety_factor: str = "0.5"  # α: static safety stock α · ŷ (and the forecast policy's fallback)
    service_level: str = "0.95"  # the forecast policy's z · σ · √(lead + review)
    min_order_qty: int = 1
    refresh_every_days: int = WEEK
    history_days: int = 365  # history handed to the forecaster at each refresh
    clearance: ClearancePolicy = field(default_factory=ClearancePolicy)
    price_cut: Decimal = Decimal("0.30")  # markdown at which cleared units sell (stated, not optimised)
    slow_days: int = 60
    slow_share: float = 0.01  # slow mover: sold over slow_days < this share of average on hand
    initial_cover_days: int = 30

    def __post_init__(self) -> None:
        if self.lead_time_days < 1 or self.review_days < 1 or self.refresh_every_days < 1:
            raise DomainError("lead time, review period and refresh interval must be at least 1 day")
        if self.history_days < 2 * WEEK or self.slow_days < 1 or self.initial_cover_days < 0:
            raise DomainError("history_days must be at least 14, slow_days at least 1, cover days ≥ 0")
        if not Decimal(0) <= self.price_cut < Decimal(1):
            raise DomainError("price_cut must be in [0, 1)")

    @property
    def protection_days(self) -> int:
        return self.lead_time_days + self.review_days

    @property
    def lookback_days(self) -> int:
        """Sales kept per series: the slow-mover lookback or the clearance window, whichever is longer."""
        return max(self.slow_days, self.clearance.window_days)

    def stock_policy(self, safety_method: str) -> dict[str, Any]:
        """The Stock record's policy dict, as `domain.replenishment.reorder_decision` reads it."""
        return {
            "safety_factor": self.safety_factor,
            "lead_time_days": self.lead_time_days,
            "review_days": self.review_days,
            "min_order_qty": self.min_order_qty,
            "safety_method": safety_method,
            "service_level": self.service_level,
        }

    def opening_stock(self, recent_daily_demand: float) -> int:
        return math.ceil(recent_daily_demand * self.initial_cover_days)

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "clearance"}
        out["price_cut"] = float(self.price_cut)
        out["clearance"] = {f.name: getattr(self.clearance, f.name) for f in fields(self.clearance)}
        return out


@dataclass(frozen=True)
class PolicySpec:
    """One policy: where demand comes from, which safety stock, whether slow movers are cleared."""

    name: str
    safety_method: str
    uses_forecast: bool
    clears: bool


POLICIES = {
    "static": PolicySpec("static", "alpha", uses_forecast=False, clears=False),
    "forecast": PolicySpec("forecast", "service_level", uses_forecast=True, clears=True),
}
