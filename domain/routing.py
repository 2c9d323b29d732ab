"""Pure routing rule: rank warehouses for an order and split its lines across them (dispatch worker input)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

RULE = "preferred>full_cover>coverage>availability>code"


@dataclass(frozen=True)
class Candidate:
    """One warehouse as the router saw it."""

    warehouse: str
    preferred: bool
    covers_all: bool
    coverable_units: int
    available_units: int

    def rank_key(self) -> tuple[int, int, int, int, str]:
        return (
            0 if self.preferred else 1,
            0 if self.covers_all else 1,
            -self.coverable_units,
            -self.available_units,
            self.warehouse,
        )


@dataclass(frozen=True)
class Routing:
    """The decision: allocations per SKU and warehouse, what is backordered, and why."""

    allocations: dict[str, dict[str, int]]
    backordered: dict[str, int]
    candidates: list[Candidate] = field(default_factory=list)

    def explain(self) -> dict[str, Any]:
        return {
            "rule": RULE,
            "candidates": [
                {
                    "rank": rank,
                    "warehouse": c.warehouse,
                    "preferred": c.preferred,
                    "covers_all": c.covers_all,
                    "coverable_units": c.coverable_units,
                    "available_units": c.available_units,
                }
                for rank, c in enumerate(self.candidates, start=1)
            ],
        }


def _candidate(
    warehouse: str, needed: Mapping[str, int], stock: Mapping[str, int], preferred: Sequence[str]
) -> Candidate:
    coverable = sum(min(qty, max(stock.get(sku, 0), 0)) for sku, qty in needed.items())
    return Candidate(
        warehouse=warehouse,
        preferred=warehouse in preferred,
        covers_all=coverable == sum(needed.values()),
        coverable_units=coverable,
        available_units=sum(max(stock.get(sku, 0), 0) for sku in needed),
    )


def route(
    needed: Mapping[str, int],
    available: Mapping[str, Mapping[str, int]],
    preferred: Sequence[str] = (),
) -> Routing:
    """Rank warehouses (preferred, can ship everything, most coverable units, most stock, code) and take
    each line from the best-ranked warehouses that hold it; whatever no warehouse holds is backordered."""
    candidates = sorted(
        (_candidate(wh, needed, stock, preferred) for wh, stock in available.items()),
        key=Candidate.rank_key,
    )
    remaining = dict(needed)
    allocations: dict[str, dict[str, int]] = {}
    for candidate in candidates:
        stock = available[candidate.warehouse]
        for sku, qty in remaining.items():
            take = min(qty, max(stock.get(sku, 0), 0))
            if take:
                allocations.setdefault(sku, {})[candidate.warehouse] = take
                remaining[sku] = qty - take
    backordered = {sku: qty for sku, qty in remaining.items() if qty > 0}
    return Routing(allocations=allocations, backordered=backordered, candidates=candidates)


@dataclass(frozen=True)
class RoutingPolicy:
    """Dispatch's configurable rules: warehouses preferred per channel, and channels whose orders are
    allocated only once paid in full. Built from settings and passed in; never read from the environment."""

    preferred_by_channel: Mapping[str, Sequence[str]] = field(default_factory=dict)
    payment_first_channels: frozenset[str] = frozenset()

    def preferred_warehouses(self, channel: str, customer: Mapping[str, Any], regions: Mapping[str, str]) -> list[str]:
        """Warehouses configured for the channel, then those in the customer's region (by code)."""
        preferred = list(self.preferred_by_channel.get(channel, ()))
        address = customer.get("address") or {}
        region = customer.get("region") or (address.get("region") if isinstance(address, Mapping) else None)
        preferred += [code for code, r in sorted(regions.items()) if region and r == region and code not in preferred]
        return preferred

    def waits_for_payment(self, channel: str, paid: Decimal, total: Decimal) -> bool:
        """A payment-first channel's order is not allocated before it is paid in full."""
        return channel in self.payment_first_channels and paid < total
