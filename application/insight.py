"""KPI use case: the figures of a period, optionally compared with the previous period or the same calendar
days a year earlier, and the versioned definitions of every figure (D13)."""

from __future__ import annotations

from typing import Any

from application.ports import KpiQueries
from domain.insight import DEFINITIONS_VERSION, Period, compared_period, deltas


async def kpis(queries: KpiQueries, current: Period, filters: dict[str, Any], compare: str | None) -> dict[str, Any]:
    """The KPI object; with `compare`, also `compare: {period, values, delta_pct}`."""
    figures = await queries.figures(current, filters)
    if compare:
        other = compared_period(current, compare)
        before = await queries.figures(other, filters)
        figures["compare"] = {
            "period": {"kind": compare, "from": other.start.isoformat(), "to": other.end.isoformat()},
            "values": before,
            "delta_pct": deltas(_figures_only(figures), _figures_only(before)),
        }
    return figures


def _figures_only(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in figures.items() if k not in ("from", "to", "currency", "compare")}


DEFINITIONS: dict[str, Any] = {
    "version": DEFINITIONS_VERSION,
    "period": "from ≤ business time < to (UTC); only events dated before `to` count, so a past period never "
    "changes. Inventory figures use the whole UTC days the period touches.",
    "kpis": {
        "orders.count": {
            "unit": "orders",
            "formula": "orders placed in the period (channel/warehouse/category filters)",
        },
        "orders.placed_to_allocated_s": {
            "unit": "seconds",
            "formula": "p50/p90/p95 (percentile_cont) of first allocation time − placement time, orders placed in "
            "the period and allocated before its end; cancelled orders excluded",
        },
        "orders.placed_to_shipped_s": {
            "unit": "seconds",
            "formula": "p50/p90/p95 of full shipment time − placement time, orders shipped before the period end",
        },
        "orders.fill_rate_units": {
            "unit": "ratio",
            "formula": "units allocated within 24 h of placement ÷ units ordered (orders not cancelled)",
        },
        "orders.fill_rate_orders": {"unit": "ratio", "formula": "orders fully allocated within 24 h ÷ orders"},
        "orders.backorder_rate": {"unit": "ratio", "formula": "orders that had units backordered ÷ orders"},
        "sales.revenue": {"unit": "money", "formula": "Σ quantity × unit price of lines of orders not cancelled"},
        "sales.units": {"unit": "units", "formula": "Σ quantity of those lines"},
        "sales.aov": {"unit": "money", "formula": "revenue ÷ orders not cancelled"},
        "sales.by_channel": {"unit": "object", "formula": "orders, units and revenue per channel"},
        "inventory.value": {"unit": "money", "formula": "Σ on hand × moving-average unit cost at the period end"},
        "inventory.cogs": {"unit": "money", "formula": "Σ shipped units × their unit cost at shipment, in the period"},
        "inventory.turnover": {"unit": "ratio", "formula": "COGS ÷ average inventory value (daily snapshots)"},
        "inventory.days_of_inventory": {"unit": "days", "formula": "days of the period ÷ turnover"},
        "inventory.slow_mover_share_skus": {
            "unit": "ratio",
            "formula": "slow SKU × warehouse ÷ SKU × warehouse with on hand > 0; slow = units sold over the last "
            "slow_days (default 60) below slow_units (default 1% of average on hand)",
        },
        "inventory.slow_mover_share_value": {"unit": "ratio", "formula": "value of slow movers ÷ inventory value"},
        "inventory.sell_through": {"unit": "ratio", "formula": "units sold ÷ (opening on hand + received)"},
        "tickets.opened": {"unit": "tickets", "formula": "tickets opened in the period"},
        "tickets.first_response_s": {"unit": "seconds", "formula": "p50/p90 of first agent reply − opening"},
        "tickets.resolution_s": {"unit": "seconds", "formula": "p50/p90 of resolution − opening"},
        "tickets.sla_breach_rate": {
            "unit": "ratio",
            "formula": "tickets whose first response or resolution came after its due time (or had not come by "
            "the period end while due) ÷ tickets opened",
        },
        "forecasts.mase": {
            "unit": "ratio",
            "formula": "mean |actual − forecast| ÷ forecast scale over the period's days, latest forecast made "
            "before each day",
        },
        "forecasts.bias_pct": {"unit": "percent", "formula": "100 × Σ(forecast − actual) ÷ Σ actual"},
        "money.refunds": {"unit": "money", "formula": "refunds approved in the period (money feature)"},
        "money.refund_rate": {"unit": "ratio", "formula": "refunds ÷ revenue"},
        "money.unreconciled": {"unit": "money", "formula": "payments not matched to a settlement (money feature)"},
    },
}
