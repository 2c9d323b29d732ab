"""Clearance suggestions for slow movers: the use case over a query port (runs on fakes in unit tests).

Demand is the latest forecast's daily mean, else the average of the policy's window; the rule itself is
`domain.clearance.clearance_suggestion` (D_clear = min(β · I_slow, I_total))."""

from __future__ import annotations

from datetime import date
from typing import Any

from application.ports import ClearanceCandidate, ClearanceQueries
from domain.clearance import ClearancePolicies, clearance_suggestion


def _suggest(candidate: ClearanceCandidate, policies: ClearancePolicies, today: date) -> dict[str, Any] | None:
    policy = policies.for_category(candidate.category)
    sold = float(
        sum(units for day, units in candidate.sold_by_day.items() if (today - day).days <= policy.window_days)
    )
    if candidate.forecast_daily_mean is not None:
        demand = candidate.forecast_daily_mean
        source = f"forecast {candidate.forecast_id} ({candidate.forecast_model})"
    else:
        demand, source = sold / policy.window_days, f"{policy.window_days}-day average"
    suggestion = clearance_suggestion(candidate.available, demand, source, sold, policy)
    if suggestion is None:
        return None
    return {
        "sku": candidate.sku,
        "warehouse": candidate.warehouse,
        "category": candidate.category,
        "slow_qty": suggestion.slow_qty,
        "suggested_qty": suggestion.suggested_qty,
        "reason": suggestion.reason,
        "inputs": suggestion.inputs,
    }


async def clearance_suggestions(
    queries: ClearanceQueries,
    policies: ClearancePolicies,
    today: date,
    warehouses: list[str] | None = None,
    warehouse: str | None = None,
    sku: str | None = None,
) -> list[dict[str, Any]]:
    """Slow movers per SKU × warehouse, largest suggestion first (then SKU, warehouse)."""
    candidates = await queries.clearance_candidates(policies.longest_window_days, warehouses, warehouse, sku)
    out = [s for c in candidates if (s := _suggest(c, policies, today)) is not None]
    out.sort(key=lambda s: (-s["suggested_qty"], s["sku"], s["warehouse"]))
    return out
