"""The pandas side of forecasting's database work: the engine's history frame from the `sales_history` view,
future covariates, and publishing the engine's output (imported only by the processes that forecast).

A series is one SKU in one warehouse, or the SKU over all warehouses (warehouse '' in `forecasts`). The
history is daily, up to yesterday (the last complete UTC day); days without sales are zero demand.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from psycopg.types.json import Jsonb

from infrastructure.forecasting.store import ALL_WAREHOUSES, FREQ, SEPARATOR, Pool, split_series_id


def load_history(pool: Pool, skus: Sequence[str], until: date, days: int) -> tuple[pd.DataFrame, dict[str, str]]:
    """The engine's history frame (series_id, date, y, promo, price) for these SKUs, per warehouse and in total,
    and the totals that need no model of their own: {total series: the one warehouse series it equals}.

    Every series runs up to `until` (a zero-sales day is added there if needed) so forecasts start the
    day after; price is the day's average selling price (NaN without sales), promo 1 when any unit sold
    on promotion. A SKU sold from one warehouse only (and nothing unallocated) has a total identical to
    that warehouse's series, so it is forecast once and published under both."""
    since = until - timedelta(days=days - 1)
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT sku, warehouse, day, sum(units)::float8, sum(revenue)::float8, bool_or(promo) "
            "FROM sales_history WHERE sku = ANY(%s) AND day BETWEEN %s AND %s GROUP BY sku, warehouse, day",
            (list(skus), since, until),
        ).fetchall()
    columns = ["sku", "warehouse", "date", "y", "revenue", "promo"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return pd.DataFrame(columns=["series_id", "date", "y", "promo", "price"]), {}
    frame["promo"] = frame["promo"].astype(float)
    places = frame[frame["y"] != 0].groupby("sku")["warehouse"].unique()
    single = {sku: str(w[0]) for sku, w in places.items() if len(w) == 1 and w[0] != ALL_WAREHOUSES}
    aliases = {sku + SEPARATOR: sku + SEPARATOR + warehouse for sku, warehouse in single.items()}
    total = (
        frame[~frame["sku"].isin(single.keys())]
        .groupby(["sku", "date"], as_index=False)
        .agg(y=("y", "sum"), revenue=("revenue", "sum"), promo=("promo", "max"))
    )
    total["warehouse"] = ALL_WAREHOUSES
    located = frame[frame["warehouse"] != ALL_WAREHOUSES]
    both = pd.concat([located, total[columns]], ignore_index=True)
    both["series_id"] = both["sku"] + SEPARATOR + both["warehouse"]
    both["price"] = (both["revenue"] / both["y"]).where(both["y"] > 0)
    both = both[both.groupby("series_id")["y"].transform("sum") > 0]
    ends = both.groupby("series_id", as_index=False)["date"].max()
    missing = ends[ends["date"] < until]["series_id"]
    pad = pd.DataFrame({"series_id": missing, "date": until, "y": 0.0, "promo": 0.0, "price": math.nan})
    history = pd.concat([both[["series_id", "date", "y", "promo", "price"]], pad], ignore_index=True)
    history["date"] = pd.to_datetime(history["date"])
    history = history.sort_values(["series_id", "date"], kind="stable").reset_index(drop=True)
    history["price"] = history.groupby("series_id")["price"].ffill()
    live = set(history["series_id"])
    return history, {total: one for total, one in aliases.items() if one in live}


def future_covariates(history: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Covariates over the horizon: no promotion planned, price as last sold."""
    last = history.groupby("series_id").agg(date=("date", "max"), price=("price", "last"))
    parts = [
        pd.DataFrame(
            {
                "series_id": key,
                "date": pd.date_range(row["date"] + pd.Timedelta(days=1), periods=horizon, freq=FREQ),
                "promo": 0.0,
                "price": row["price"],
            }
        )
        for key, row in last.iterrows()
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["series_id", "date"])


def _number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else round(number, 4)


def publish(
    pool: Pool,
    run_id: int,
    series: pd.DataFrame,
    forecasts: pd.DataFrame,
    horizon: int,
    generated_at: datetime,
    aliases: dict[str, str] | None = None,
) -> int:
    """Record each series' forecast with its model, parameters, data window and backtest metrics, in one
    transaction (an aliased total is recorded as a copy of the series it equals); a redelivered batch
    overwrites its own rows (unique per run, SKU and warehouse). Returns how many forecasts it recorded."""
    by_series = dict(iter(forecasts.groupby("series_id")))
    records: dict[str, tuple[Any, ...]] = {}
    for row in series.itertuples(index=False):
        rows = by_series[row.series_id]
        points = [
            {
                "date": pd.Timestamp(p.date).date().isoformat(),
                "mean": _number(p.mean),
                "lower_80": _number(p.lower_80),
                "upper_80": _number(p.upper_80),
                "lower_95": _number(p.lower_95),
                "upper_95": _number(p.upper_95),
            }
            for p in rows.itertuples(index=False)
        ]
        backtest = {
            "mase": _number(row.backtest_mase),
            "bias": _number(row.backtest_bias),
            "error_sd": _number(row.error_sd),
        }
        error_sd = float(row.error_sd)
        records[str(row.series_id)] = (
            generated_at,
            row.model,
            row.kind,
            Jsonb(json.loads(row.params)),
            horizon,
            pd.Timestamp(row.start).date(),
            pd.Timestamp(row.end).date(),
            int(row.observations),
            float(row.scale),
            error_sd if math.isfinite(error_sd) else 0.0,
            Jsonb(backtest),
            Jsonb(points),
            float(rows["mean"].mean()),
        )
    for total, one in (aliases or {}).items():
        if one in records:
            records[total] = records[one]
    with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO forecasts (run_id, sku, warehouse, generated_at, model, kind, params, horizon_days, "
            "window_start, window_end, observations, scale, error_sd, backtest, points, mean_daily) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (run_id, sku, warehouse) DO UPDATE SET generated_at = EXCLUDED.generated_at, "
            "model = EXCLUDED.model, kind = EXCLUDED.kind, params = EXCLUDED.params, "
            "window_start = EXCLUDED.window_start, window_end = EXCLUDED.window_end, "
            "observations = EXCLUDED.observations, scale = EXCLUDED.scale, error_sd = EXCLUDED.error_sd, "
            "backtest = EXCLUDED.backtest, points = EXCLUDED.points, mean_daily = EXCLUDED.mean_daily",
            [(run_id, *split_series_id(key), *record) for key, record in records.items()],
        )
    return len(records)
