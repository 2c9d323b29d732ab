"""One policy walked forward day by day: receipts, weekly refresh and clearance, allocation, reorder, snapshot.

Each day opens with the goods that arrive, then (on refresh days) reads the forecasts made on the history up
to yesterday (`application.simulation.refresh`) and clears slow movers; the day's demand is allocated by the
live routing rule (what it backorders is lost: lost sales), and at the close the live reorder rule decides on
the stock left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from application.simulation.ledger import DayTally, Decision, SeriesLedger
from application.simulation.refresh import Forecasts
from application.simulation.scenario import PolicySpec, Scenario, SeriesInput, SimulationSettings
from domain.base import DomainError
from domain.clearance import clearance_suggestion
from domain.replenishment import reorder_decision
from domain.routing import route
from domain.stock import Stock, trailing_daily_demand

Progress = Callable[[str], None]
WAREHOUSE = "sim"  # one stock location per series: the simulation has no transfers between warehouses
TRAILING_DAYS = 28


@dataclass
class PolicyRun:
    """The state of one policy's run over a scenario."""

    spec: PolicySpec
    scenario: Scenario
    settings: SimulationSettings
    forecasts: Forecasts | None = None  # the shared weekly refreshes (application.simulation.refresh)
    progress: Progress | None = None
    ledgers: list[SeriesLedger] = field(default_factory=list)
    days: list[DayTally] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    def run(self) -> PolicyRun:
        self.ledgers = [self._open(series) for series in self.scenario.series]
        for t in range(self.scenario.warmup, self.scenario.length):
            self._day(t)
        return self

    def _open(self, series: SeriesInput) -> SeriesLedger:
        warmup = self.scenario.warmup
        ledger = SeriesLedger(series.series_id, series.unit_cost, 0)
        lookback = max(warmup - self.settings.lookback_days, 0)
        for t in range(max(warmup - Stock.DEMAND_DAYS, 0), warmup):
            self._count_demand(ledger, t, series.demand[t])
        for t in range(lookback, warmup):  # warm-up history counts as sales for the slow-mover lookback
            ledger.remember(ledger.sold_recent, series.demand[t], self.settings.lookback_days)
        if series.on_hand is not None:
            ledger.on_hand = series.on_hand
        else:
            ledger.on_hand = self.settings.opening_stock(self._trailing(ledger, warmup - 1))
        return ledger

    def _day(self, t: int) -> None:
        tally = DayTally(self.scenario.day(t))
        for ledger in self.ledgers:
            if ledger.open_order is not None and ledger.open_order[0] <= t:
                ledger.on_hand += ledger.open_order[1]
                ledger.open_order = None
        if self.spec.uses_forecast and (t - self.scenario.warmup) % self.settings.refresh_every_days == 0:
            self._refresh(t)
            if self.spec.clears:
                self._clear(t)
        for series, ledger in zip(self.scenario.series, self.ledgers, strict=True):
            self._serve(ledger, t, series.demand[t], tally)
            self._reorder(ledger, t, tally)
            self._close(ledger, tally)
        self.days.append(tally)
        if self.progress is not None and (len(self.days) % 30 == 0 or t == self.scenario.length - 1):
            self.progress(f"{self.spec.name}: day {len(self.days)}/{self.scenario.window}")

    def _refresh(self, t: int) -> None:
        """Read the refresh of day t: forecasts made on the history up to yesterday (never today or later)."""
        if self.forecasts is None or t not in self.forecasts:
            raise DomainError("the forecast policy needs the forecasts of its refresh days")
        answers = self.forecasts[t]
        for ledger in self.ledgers:
            ledger.forecast = answers.get(ledger.series_id)

    def _clear(self, t: int) -> None:
        """Clearance of slow movers, min(β · I_slow, I_total), sold at the stated price cut the same day."""
        policy = self.settings.clearance
        for ledger in self.ledgers:
            sold = float(ledger.sold_over(policy.window_days))
            if ledger.forecast is not None:
                demand = ledger.forecast.mean_over(self.settings.protection_days)
                source = f"forecast:{ledger.forecast.model}"
            else:
                demand, source = sold / policy.window_days, f"{policy.window_days}-day average"
            suggestion = clearance_suggestion(ledger.on_hand, demand, source, sold, policy)
            if suggestion is None:
                continue
            ledger.on_hand -= suggestion.suggested_qty
            ledger.cleared_units += suggestion.suggested_qty
            ledger.cogs += suggestion.suggested_qty * ledger.unit_cost
            self.decisions.append(
                Decision(self.scenario.day(t), ledger.series_id, "clearance", suggestion.suggested_qty)
            )

    def _serve(self, ledger: SeriesLedger, t: int, demand: int, tally: DayTally) -> None:
        served = 0
        if demand > 0:
            routing = route({ledger.series_id: demand}, {WAREHOUSE: {ledger.series_id: ledger.on_hand}})
            served = routing.allocations.get(ledger.series_id, {}).get(WAREHOUSE, 0)
        lost = demand - served
        ledger.on_hand -= served
        ledger.demand_units += demand
        ledger.served_units += served
        ledger.lost_units += lost
        ledger.cogs += served * ledger.unit_cost
        ledger.remember(ledger.sold_recent, served, self.settings.lookback_days)
        self._count_demand(ledger, t, demand)
        if lost > 0 or ledger.on_hand <= 0:
            ledger.stockout_days += 1
        tally.demand_units += demand
        tally.served_units += served
        tally.lost_units += lost

    def _reorder(self, ledger: SeriesLedger, t: int, tally: DayTally) -> None:
        """The live rule at the day's close: one open replenishment per series, arriving after the lead time."""
        if ledger.open_order is not None:
            return
        forecast = ledger.forecast if self.spec.uses_forecast else None
        if forecast is not None:
            demand, source = forecast.mean_over(self.settings.protection_days), f"forecast:{forecast.model}"
        else:
            demand, source = self._trailing(ledger, t), "moving_average_28d"
        decision = reorder_decision(
            self.settings.stock_policy(self.spec.safety_method),
            demand,
            ledger.on_hand,
            0,
            source,
            forecast.error_sd if forecast is not None else None,
        )
        if not decision.triggered:
            return
        ledger.open_order = (t + self.settings.lead_time_days, decision.quantity)
        ledger.orders_placed += 1
        tally.orders_placed += 1
        tally.ordered_units += decision.quantity
        self.decisions.append(Decision(self.scenario.day(t), ledger.series_id, "order", decision.quantity))

    def _close(self, ledger: SeriesLedger, tally: DayTally) -> None:
        value = ledger.on_hand * ledger.unit_cost
        ledger.value_days += value
        ledger.remember(ledger.on_hand_recent, ledger.on_hand, self.settings.slow_days)
        slow = ledger.is_slow(self.settings.slow_share, self.settings.slow_days)
        ledger.slow_days += slow
        ledger.stocked_days += ledger.on_hand > 0
        tally.on_hand_units += ledger.on_hand
        tally.inventory_value += value
        tally.slow_series += slow
        tally.stocked_series += ledger.on_hand > 0

    def _count_demand(self, ledger: SeriesLedger, t: int, units: int) -> None:
        """Units asked per day over the Stock record's trailing window (orders placed, filled or not)."""
        if units > 0:
            ledger.recent_demand[self.scenario.day(t).isoformat()] = units
        ledger.recent_demand.pop(self.scenario.day(t - Stock.DEMAND_DAYS).isoformat(), None)

    def _trailing(self, ledger: SeriesLedger, t: int) -> float:
        return trailing_daily_demand(ledger.recent_demand, self.scenario.day(t), TRAILING_DAYS)
