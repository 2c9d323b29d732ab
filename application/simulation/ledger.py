"""Running tallies of one policy's simulation: per series, per day, and the decisions taken."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from application.simulation.ports import SeriesForecast


@dataclass(frozen=True)
class Decision:
    """A decision the policy took: a replenishment order or a clearance, on a day, for a series."""

    day: date
    series_id: str
    kind: str  # "order" | "clearance"
    quantity: int


@dataclass
class SeriesLedger:
    """One series' stock position and tallies while a policy runs."""

    series_id: str
    unit_cost: Decimal
    on_hand: int
    open_order: tuple[int, int] | None = None  # (arrival day index, units): one open replenishment at a time
    recent_demand: dict[str, int] = field(default_factory=dict)  # ISO day -> units, as the Stock record keeps
    forecast: SeriesForecast | None = None
    sold_recent: deque[int] = field(default_factory=deque)  # regular sales over the slow-mover lookback
    on_hand_recent: deque[int] = field(default_factory=deque)  # end-of-day stock over the same lookback
    demand_units: int = 0
    served_units: int = 0
    lost_units: int = 0
    cleared_units: int = 0
    orders_placed: int = 0
    stockout_days: int = 0
    slow_days: int = 0
    stocked_days: int = 0
    cogs: Decimal = Decimal(0)
    value_days: Decimal = Decimal(0)  # Σ daily end-of-day inventory value

    def remember(self, window: deque[int], value: int, size: int) -> None:
        window.append(value)
        if len(window) > size:
            window.popleft()

    def sold_over(self, days: int) -> int:
        """Regular sales over the last `days` days (clearance excluded; warm-up history counts as sales)."""
        return sum(list(self.sold_recent)[-days:])

    def is_slow(self, slow_share: float, slow_days: int) -> bool:
        """Slow mover (insight KPI): stock on hand and lookback sales below a share of average on hand."""
        if self.on_hand <= 0 or not self.on_hand_recent:
            return False
        average = sum(self.on_hand_recent) / len(self.on_hand_recent)
        return self.sold_over(slow_days) < slow_share * average


@dataclass
class DayTally:
    """The panel's totals for one simulated day (the report's `daily` rows)."""

    day: date
    demand_units: int = 0
    served_units: int = 0
    lost_units: int = 0
    on_hand_units: int = 0
    inventory_value: Decimal = Decimal(0)
    orders_placed: int = 0
    ordered_units: int = 0
    slow_series: int = 0
    stocked_series: int = 0
