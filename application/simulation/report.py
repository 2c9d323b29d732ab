"""The report of a simulation (http-api.md "Policy simulation"): KPIs per policy, per series, and per day.

Definitions follow the insight KPIs: turnover = COGS ÷ average inventory value over the window (daily
end-of-day snapshots); slow mover = on hand > 0 and regular sales over the last `slow_days` below
`slow_share` of average on hand. Money is computed in Decimal and written as numbers rounded to cents.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from application.simulation.ledger import DayTally, SeriesLedger

CENT = Decimal("0.01")


def money(value: Decimal) -> float:
    """A Decimal amount as a JSON number with at most two decimals (its text round-trips exactly)."""
    return float(value.quantize(CENT, rounding=ROUND_HALF_EVEN))


def ratio(numerator: float | Decimal, denominator: float | Decimal, empty: float) -> float:
    return round(float(numerator) / float(denominator), 6) if denominator else empty


def series_kpis(ledger: SeriesLedger, days: int) -> dict[str, Any]:
    average_value = ledger.value_days / days
    return {
        "fill_rate": ratio(ledger.served_units, ledger.demand_units, 1.0),
        "stockout_days": ledger.stockout_days,
        "lost_units": ledger.lost_units,
        "average_inventory_value": money(average_value),
        "turnover": ratio(ledger.cogs, average_value, 0.0),
        "slow_mover_share": ratio(ledger.slow_days, ledger.stocked_days, 0.0),
        "cleared_units": ledger.cleared_units,
        "orders_placed": ledger.orders_placed,
        "demand_units": ledger.demand_units,
        "served_units": ledger.served_units,
        "cogs": money(ledger.cogs),
    }


def policy_kpis(ledgers: Sequence[SeriesLedger], tallies: Sequence[DayTally]) -> dict[str, Any]:
    """Panel totals; slow_mover_share is the mean over days of slow series ÷ series with stock on hand."""
    days = len(tallies)
    cogs = sum((ledger.cogs for ledger in ledgers), Decimal(0))
    average_value = sum((ledger.value_days for ledger in ledgers), Decimal(0)) / days
    demand = sum(ledger.demand_units for ledger in ledgers)
    served = sum(ledger.served_units for ledger in ledgers)
    shares = [t.slow_series / t.stocked_series for t in tallies if t.stocked_series]
    return {
        "fill_rate": ratio(served, demand, 1.0),
        "stockout_days": sum(ledger.stockout_days for ledger in ledgers),
        "lost_units": sum(ledger.lost_units for ledger in ledgers),
        "average_inventory_value": money(average_value),
        "turnover": ratio(cogs, average_value, 0.0),
        "slow_mover_share": round(sum(shares) / len(shares), 6) if shares else 0.0,
        "cleared_units": sum(ledger.cleared_units for ledger in ledgers),
        "orders_placed": sum(ledger.orders_placed for ledger in ledgers),
        "demand_units": demand,
        "served_units": served,
        "cogs": money(cogs),
    }


def daily_rows(tallies: Sequence[DayTally]) -> list[dict[str, Any]]:
    return [
        {
            "date": t.day.isoformat(),
            "demand_units": t.demand_units,
            "served_units": t.served_units,
            "lost_units": t.lost_units,
            "on_hand_units": t.on_hand_units,
            "inventory_value": money(t.inventory_value),
            "orders_placed": t.orders_placed,
            "ordered_units": t.ordered_units,
        }
        for t in tallies
    ]
