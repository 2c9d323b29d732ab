"""Clearance of slow movers (pure): flag stock with too many days of cover or too little sell-through and
suggest clearing D_clear = min(β · I_slow, I_total) units, I_slow being the stock beyond the target cover."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from domain.base import DomainError


@dataclass(frozen=True)
class ClearancePolicy:
    """Thresholds for one category (or the default)."""

    max_cover_days: float = 90.0  # slow when available stock lasts longer than this at forecast demand
    min_sell_through: float = 0.05  # ...or when sold / (sold + available) over the window is below this
    target_cover_days: float = 60.0  # stock beyond this many days of demand counts as slow (I_slow)
    beta: float = 0.5  # share of the slow stock to clear per cycle (β)
    window_days: int = 30  # sell-through window

    def __post_init__(self) -> None:
        if self.max_cover_days <= 0 or self.target_cover_days < 0 or self.window_days < 1:
            raise DomainError("clearance policy: cover days must be positive and window_days at least 1")
        if not 0 <= self.min_sell_through <= 1 or self.beta < 0:
            raise DomainError("clearance policy: min_sell_through must be in [0, 1] and beta ≥ 0")

    def merged(self, overrides: dict[str, Any]) -> ClearancePolicy:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise DomainError(f"clearance policy: unknown field(s) {', '.join(unknown)}")
        return replace(self, **overrides)


@dataclass(frozen=True)
class ClearanceSuggestion:
    slow_qty: int
    suggested_qty: int
    reason: str
    inputs: dict[str, Any]


def clearance_suggestion(
    available: int, daily_demand: float, demand_source: str, sold_in_window: float, policy: ClearancePolicy
) -> ClearanceSuggestion | None:
    """The suggestion for one SKU × warehouse, or None when it is not a slow mover (or nothing is in stock)."""
    if available <= 0:
        return None
    demand = max(daily_demand, 0.0)
    cover = available / demand if demand > 0 else math.inf
    sell_through = sold_in_window / (sold_in_window + available)
    reasons = []
    if cover > policy.max_cover_days:
        reasons.append(
            "no demand expected" if math.isinf(cover) else f"{cover:.0f} days of cover > {policy.max_cover_days:g}"
        )
    if sell_through < policy.min_sell_through:
        reasons.append(
            f"sell-through {sell_through:.1%} over {policy.window_days} days < {policy.min_sell_through:.0%}"
        )
    if not reasons:
        return None
    slow = available if demand == 0 else max(math.floor(available - demand * policy.target_cover_days), 0)
    suggested = min(math.ceil(policy.beta * slow), available)
    if suggested <= 0:
        return None
    reason = (
        f"slow mover: {'; '.join(reasons)}; demand {demand:.2f}/day ({demand_source}); "
        f"{slow} of {available} units beyond {policy.target_cover_days:g} days of cover; "
        f"clear min({policy.beta:g} x {slow}, {available}) = {suggested}"
    )
    inputs = {
        "available": available,
        "daily_demand": round(demand, 4),
        "demand_source": demand_source,
        "days_of_cover": None if math.isinf(cover) else round(cover, 1),
        "sold_in_window": sold_in_window,
        "sell_through": round(sell_through, 4),
        "policy": {f.name: getattr(policy, f.name) for f in fields(policy)},
    }
    return ClearanceSuggestion(slow, suggested, reason, inputs)


@dataclass(frozen=True)
class ClearancePolicies:
    """The default clearance policy and per-category overrides (each category merged over the default)."""

    default: ClearancePolicy = ClearancePolicy()
    categories: dict[str, ClearancePolicy] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ClearancePolicies:
        """From `{"default": {...}, "categories": {name: {...}}}`; unknown keys or fields are refused."""
        unknown = sorted(set(config) - {"default", "categories"})
        if unknown:
            raise DomainError(f"clearance policy: unknown key(s) {', '.join(unknown)}")
        default = ClearancePolicy().merged(config.get("default") or {})
        categories = {name: default.merged(over) for name, over in (config.get("categories") or {}).items()}
        return cls(default, categories)

    def for_category(self, category: str | None) -> ClearancePolicy:
        return self.categories.get(category or "", self.default)

    @property
    def longest_window_days(self) -> int:
        return max([self.default.window_days, *(p.window_days for p in self.categories.values())])
