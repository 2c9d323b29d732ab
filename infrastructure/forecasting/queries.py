"""Async (asyncpg) reads and requests for the API: forecasts, refresh runs, realised accuracy, clearance."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from application.ports import ClearanceCandidate
from infrastructure.statements import Statement

# Realised accuracy of a forecast: its points on complete days (before today, UTC) against the sales that
# arrived since. MASE uses the forecast's own scale (in-sample mean absolute seasonal difference).
REALISED = """
SELECT f.id AS forecast_id, f.sku, f.warehouse, f.model, f.generated_at, f.scale,
       count(*)::int AS points,
       sum(a.actual)::float8 AS actual_units,
       sum(p.mean)::float8 AS forecast_units,
       (avg(abs(a.actual - p.mean)) / nullif(f.scale, 0))::float8 AS mase,
       (100 * sum(p.mean - a.actual) / nullif(sum(abs(a.actual)), 0))::float8 AS bias_pct,
       avg((a.actual BETWEEN p.lower_80 AND p.upper_80)::int)::float8 AS coverage_80
FROM forecasts f
CROSS JOIN LATERAL jsonb_to_recordset(f.points) AS p(date date, mean float8, lower_80 float8, upper_80 float8)
CROSS JOIN LATERAL (
    SELECT coalesce(sum(s.units), 0)::float8 AS actual FROM sales_history s
    WHERE s.sku = f.sku AND (f.warehouse = '' OR s.warehouse = f.warehouse) AND s.day = p.date
) a
WHERE p.date < (now() AT TIME ZONE 'UTC')::date AND {where}
GROUP BY f.id
"""


def _over_realised(select: str, where: str, tail: str = "") -> str:
    """`select` over the realised rows of the forecasts matching `where` (fixed SQL fragments only)."""
    return f"{select} FROM ({REALISED.format(where=where)}) r {tail}"


def _points(points: Any) -> list[dict[str, Any]]:
    return json.loads(points) if isinstance(points, str) else list(points)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def latest_forecast(db: Any, sku: str, warehouse: str) -> dict[str, Any] | None:
    row = await db.fetchrow(
        "SELECT * FROM forecasts WHERE sku = $1 AND warehouse = $2 ORDER BY generated_at DESC, id DESC LIMIT 1",
        sku,
        warehouse,
    )
    if row is None:
        return None
    realised = await realised_summary(db, sku, warehouse)
    return {
        "id": row["id"],
        "sku": row["sku"],
        "warehouse": row["warehouse"] or None,
        "model": row["model"],
        "kind": row["kind"],
        "generated_at": row["generated_at"].isoformat(),
        "horizon_days": row["horizon_days"],
        "points": [
            {
                "date": p["date"],
                "mean": p["mean"],
                "lower": p["lower_80"],
                "upper": p["upper_80"],
                "lower_95": p["lower_95"],
                "upper_95": p["upper_95"],
            }
            for p in _points(row["points"])
        ],
        "backtest": _json(row["backtest"]),
        "params": _json(row["params"]),
        "window": {
            "start": row["window_start"].isoformat(),
            "end": row["window_end"].isoformat(),
            "observations": row["observations"],
        },
        "run_id": row["run_id"],
        "realised": realised,
    }


async def realised(db: Any, sku: str, warehouse: str, limit: int) -> list[dict[str, Any]]:
    """Realised accuracy of each of the SKU's published forecasts that has complete days, newest first."""
    rows = await db.fetch(
        REALISED.format(where="f.sku = $1 AND f.warehouse = $2") + " ORDER BY f.generated_at DESC LIMIT $3",
        sku,
        warehouse,
        limit,
    )
    return [_realised_row(r) for r in rows]


def _realised_row(row: Any) -> dict[str, Any]:
    return {
        "forecast_id": row["forecast_id"],
        "model": row["model"],
        "generated_at": row["generated_at"].isoformat(),
        "points": row["points"],
        "actual_units": row["actual_units"],
        "forecast_units": round(row["forecast_units"], 4),
        "mase": _round(row["mase"]),
        "bias": _round(row["bias_pct"]),
        "coverage_80": _round(row["coverage_80"]),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


async def realised_summary(db: Any, sku: str, warehouse: str, days: int = 90) -> dict[str, Any] | None:
    """Point-weighted realised MASE and bias over the forecasts of the last `days` days (None before any)."""
    row = await db.fetchrow(
        _over_realised(
            "SELECT sum(points)::int AS points, (sum(mase * points) / nullif(sum(points), 0))::float8 AS mase, "
            "(100 * sum(forecast_units - actual_units) / nullif(sum(actual_units), 0))::float8 AS bias, "
            "count(*)::int AS forecasts",
            "f.sku = $1 AND f.warehouse = $2 AND f.generated_at > now() - make_interval(days => $3)",
        ),
        sku,
        warehouse,
        days,
    )
    if row is None or not row["points"]:
        return None
    return {
        "mase": _round(row["mase"]),
        "bias": _round(row["bias"]),
        "points": row["points"],
        "forecasts": row["forecasts"],
    }


async def accuracy_board(db: Any, limit: int, days: int = 90) -> list[dict[str, Any]]:
    """Per SKU × warehouse, realised MASE and bias over recent forecasts; least trustworthy first."""
    rows = await db.fetch(
        _over_realised(
            "SELECT sku, warehouse, sum(points)::int AS points, count(*)::int AS forecasts, "
            "(sum(mase * points) / nullif(sum(points), 0))::float8 AS mase, "
            "(100 * sum(forecast_units - actual_units) / nullif(sum(actual_units), 0))::float8 AS bias, "
            "(array_agg(model ORDER BY generated_at DESC))[1] AS model",
            "f.generated_at > now() - make_interval(days => $1)",
            "GROUP BY sku, warehouse ORDER BY mase DESC NULLS LAST, sku, warehouse LIMIT $2",
        ),
        days,
        limit,
    )
    return [
        {
            "sku": r["sku"],
            "warehouse": r["warehouse"] or None,
            "model": r["model"],
            "forecasts": r["forecasts"],
            "points": r["points"],
            "mase": _round(r["mase"]),
            "bias": _round(r["bias"]),
        }
        for r in rows
    ]


async def sales_history(db: Any, sku: str, warehouse: str | None, since: date, until: date) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT day, sum(units)::int AS units, sum(revenue) AS revenue, bool_or(promo) AS promo, "
        "jsonb_object_agg(channel, units) AS by_channel FROM ("
        " SELECT day, channel, sum(units)::int AS units, sum(revenue) AS revenue, bool_or(promo) AS promo "
        " FROM sales_history WHERE sku = $1 AND ($2::text IS NULL OR warehouse = $2) AND day BETWEEN $3 AND $4 "
        " GROUP BY day, channel) c GROUP BY day ORDER BY day",
        sku,
        warehouse,
        since,
        until,
    )
    return [
        {
            "date": r["day"].isoformat(),
            "units": r["units"],
            "revenue": f"{r['revenue']:.2f}",
            "promo": r["promo"],
            "by_channel": _json(r["by_channel"]),
        }
        for r in rows
    ]


class ClearanceStore:
    """The clearance query port over asyncpg: stock with units available, its category, latest forecast and
    the units sold per day within the window."""

    def __init__(self, db: Any) -> None:
        self.db = db

    async def clearance_candidates(
        self, window_days: int, warehouses: list[str] | None, warehouse: str | None, sku: str | None
    ) -> list[ClearanceCandidate]:
        rows = await CLEARANCE_CANDIDATES.fetch(self.db, window_days, warehouses, warehouse, sku)
        return [
            ClearanceCandidate(
                sku=r["sku"],
                warehouse=r["warehouse"],
                category=r["category"],
                available=int(r["available"]),
                sold_by_day={date.fromisoformat(d): int(u) for d, u in (_json(r["sold"]) or {}).items()},
                forecast_daily_mean=float(r["mean_daily"]) if r["mean_daily"] is not None else None,
                forecast_id=r["forecast_id"],
                forecast_model=r["model"],
            )
            for r in rows
        ]


CLEARANCE_CANDIDATES = Statement(
    "SELECT s.sku, s.warehouse, s.on_hand - s.reserved AS available, p.category, "
    "f.mean_daily, f.model, f.id AS forecast_id, "
    "(SELECT jsonb_object_agg(day, units) FROM (SELECT day, sum(units)::int AS units FROM sales_history h "
    "  WHERE h.sku = s.sku AND h.warehouse = s.warehouse "
    "  AND h.day >= (now() AT TIME ZONE 'UTC')::date - $1::int GROUP BY day) d) AS sold "
    "FROM stock_levels s LEFT JOIN product_catalog p ON p.sku = s.sku "
    "LEFT JOIN LATERAL (SELECT id, mean_daily, model FROM forecasts x WHERE x.sku = s.sku "
    "  AND x.warehouse = s.warehouse ORDER BY generated_at DESC, id DESC LIMIT 1) f ON true "
    "WHERE s.on_hand - s.reserved > 0 AND ($2::text[] IS NULL OR s.warehouse = ANY($2)) "
    "AND ($3::text IS NULL OR s.warehouse = $3) AND ($4::text IS NULL OR s.sku = $4)"
)
