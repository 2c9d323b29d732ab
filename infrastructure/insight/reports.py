"""Sales and inventory reports (refunds are shared over an order's lines by revenue; COGS per line at the cost
of its shipments): grouped, interval-bucketed, compared on the same calendar days, paginated by
keyset, and streamed as CSV page by page (no export is held in memory)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from typing import Any

from infrastructure.insight.binding import bind

GROUPS = {
    "channel": "o.channel",
    "category": "coalesce(p.category, '')",
    "sku": "l.sku",
    "warehouse": "coalesce((SELECT a.warehouse FROM order_summary_allocations a WHERE a.order_id = l.order_id "
    "AND a.sku = l.sku AND a.allocated_at < :end ORDER BY a.allocated_at LIMIT 1), '')",
}
SHIFTS = {("previous", "day"): "1 day", ("previous", "week"): "1 week", ("previous", "month"): "1 month"}

# Lines of orders placed in [start − shift, end − shift) and not cancelled by then, bucketed by their placing
# time moved forward by the shift (so a comparison lands on the bucket it is compared with).
LINES = """
SELECT date_trunc(:interval, (o.placed_at + :shift::interval) AT TIME ZONE 'UTC')::date AS period, {group} AS grp,
       o.id AS order_id, l.quantity, l.quantity * l.unit_price AS revenue, o.currency, l.cogs,
       CASE WHEN o.total > 0 THEN o.refunded * l.quantity * l.unit_price / o.total ELSE 0 END AS refunds
FROM order_summary o JOIN order_summary_lines l ON l.order_id = o.id LEFT JOIN product_catalog p ON p.sku = l.sku
WHERE o.placed_at >= :start::timestamptz - :shift::interval AND o.placed_at < :end::timestamptz - :shift::interval
  AND (o.cancelled_at IS NULL OR o.cancelled_at >= :end::timestamptz - :shift::interval)
  AND (:channel::text IS NULL OR o.channel = :channel) AND (:category::text IS NULL OR p.category = :category)
"""
TOTALS = (
    "SELECT period, grp, count(DISTINCT order_id) AS orders, sum(quantity)::bigint AS units, "
    "sum(revenue) AS revenue, min(currency) AS currency, sum(cogs) AS cogs, sum(refunds) AS refunds "
    "FROM ({lines}) x GROUP BY period, grp"
)

SALES = """
WITH cur AS ({current}), prev AS ({previous})
SELECT cur.*, prev.orders AS p_orders, prev.units AS p_units, prev.revenue AS p_revenue
FROM cur LEFT JOIN prev USING (period, grp)
WHERE (:after_period::date IS NULL OR (cur.period, cur.grp) > (:after_period::date, :after_group::text))
ORDER BY cur.period, cur.grp LIMIT :limit
"""


def sales_sql(group_by: str, compare: str | None, interval: str) -> str:
    lines = LINES.replace("{group}", GROUPS[group_by])
    current = TOTALS.format(lines=lines.replace(":shift::interval", "'0 days'::interval"))
    shift = "1 year" if compare == "yoy" else SHIFTS.get((compare or "", interval))
    previous = (
        TOTALS.format(lines=lines.replace(":shift::interval", f"'{shift}'::interval"))
        if shift
        else "SELECT NULL::date AS period, NULL::text AS grp, NULL::bigint AS orders, NULL::bigint AS units, "
        "NULL::numeric AS revenue WHERE false"
    )
    return SALES.format(current=current, previous=previous)


def sales_item(row: Any, compare: str | None) -> dict[str, Any]:
    currency = row["currency"]
    item: dict[str, Any] = {
        "period": row["period"].isoformat(),
        "group": row["grp"],
        "orders": int(row["orders"]),
        "units": int(row["units"]),
        "revenue": _money(row["revenue"], currency),
        "refunds": _money(row["refunds"], currency),
        "net_revenue": _money(row["revenue"] - row["refunds"], currency),
        "cogs": _money(row["cogs"], currency),
        "margin": _money(row["revenue"] - row["refunds"] - row["cogs"], currency),
    }
    if compare:
        item["previous"] = (
            {
                "orders": int(row["p_orders"]),
                "units": int(row["p_units"]),
                "revenue": _money(row["p_revenue"], currency),
            }
            if row["p_orders"] is not None
            else None
        )
    return item


def _money(amount: Any, currency: str | None) -> dict[str, Any] | None:
    return None if amount is None else {"amount": f"{amount:.2f}", "currency": currency}


async def sales_report(
    db: Any, group_by: str, interval: str, compare: str | None, values: dict[str, Any]
) -> list[dict[str, Any]]:
    text, args = bind(sales_sql(group_by, compare, interval), {**values, "interval": interval})
    return [sales_item(r, compare) for r in await db.fetch(text, *args)]


INVENTORY = """
WITH w AS (
    SELECT sku, warehouse, sum(shipped) AS sold, sum(cogs) AS cogs, max(day) FILTER (WHERE received > 0) AS last_receipt
    FROM stock_daily WHERE day >= current_date - :slow_days::int GROUP BY sku, warehouse
), d AS (
    SELECT sku, warehouse, on_hand, value,
           least(coalesce(nd, current_date + 1), current_date + 1) - greatest(day, current_date + 1 - :slow_days::int)
               AS days
    FROM (SELECT *, lead(day) OVER (PARTITION BY sku, warehouse ORDER BY day) AS nd FROM stock_daily) x
    WHERE coalesce(nd, current_date + 1) > current_date + 1 - :slow_days::int
), avgv AS (
    SELECT sku, warehouse, sum(on_hand * days)::numeric / :slow_days AS avg_units,
           sum(value * days) / :slow_days AS avg_value
    FROM d GROUP BY sku, warehouse
)
SELECT l.sku, l.warehouse, l.on_hand, c.unit_cost, c.currency, l.on_hand * c.unit_cost AS value,
       (SELECT sum(s.units) FROM sales_daily s WHERE s.sku = l.sku AND s.warehouse IN (l.warehouse, '')
        AND s.day > current_date - 28)::float8 / 28 AS daily_demand,
       current_date - coalesce(w.last_receipt, (SELECT min(f.day) FROM stock_daily f
                                                WHERE f.sku = l.sku AND f.warehouse = l.warehouse)) AS age_days,
       w.cogs / nullif(avgv.avg_value, 0) AS turnover,
       l.on_hand > 0 AND coalesce(w.sold, 0) < coalesce(avgv.avg_units, 0) * :slow_pct::numeric / 100 AS slow
FROM stock_levels l LEFT JOIN stock_cost c ON c.sku = l.sku AND c.warehouse = l.warehouse
LEFT JOIN product_catalog p ON p.sku = l.sku
LEFT JOIN w ON w.sku = l.sku AND w.warehouse = l.warehouse
LEFT JOIN avgv ON avgv.sku = l.sku AND avgv.warehouse = l.warehouse
WHERE (:warehouse::text IS NULL OR l.warehouse = :warehouse) AND (:category::text IS NULL OR p.category = :category)
  AND (:warehouses::text[] IS NULL OR l.warehouse = ANY(:warehouses::text[]))
  AND (:after_sku::text IS NULL OR (l.sku, l.warehouse) > (:after_sku::text, :after_warehouse::text))
ORDER BY l.sku, l.warehouse LIMIT :limit
"""


def inventory_item(row: Any) -> dict[str, Any]:
    demand = row["daily_demand"] or 0.0
    return {
        "sku": row["sku"],
        "warehouse": row["warehouse"],
        "on_hand": int(row["on_hand"]),
        "unit_cost": _money(row["unit_cost"], row["currency"]),
        "value": _money(row["value"], row["currency"]),
        "days_of_cover": round(row["on_hand"] / demand, 2) if demand > 0 else None,
        "age_days": int(row["age_days"]) if row["age_days"] is not None else None,
        "turnover": round(float(row["turnover"]), 4) if row["turnover"] is not None else None,
        "slow": bool(row["slow"]),
    }


async def inventory_report(db: Any, values: dict[str, Any]) -> list[dict[str, Any]]:
    text, args = bind(INVENTORY, values)
    return [inventory_item(r) for r in await db.fetch(text, *args)]


def csv_line(values: Sequence[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(["" if v is None else v for v in values])
    return out.getvalue()


async def stream_csv(pages: Any, columns: Sequence[str], flatten: Any) -> AsyncIterator[str]:
    """CSV text page by page: `pages(after)` returns the next page of items (empty at the end)."""
    yield csv_line(columns)
    after: dict[str, Any] | None = None
    while True:
        items = await pages(after)
        if not items:
            return
        for item in items:
            yield csv_line(flatten(item))
        after = items[-1]
