"""Rolling-origin evaluation: the whole refresh (gate and calibration included) re-run at each origin.

At every origin the engine sees only the history before it, so the numbers for "selected" (what
`forecast` would have delivered) are honest out-of-sample figures, not the gate's own backtest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from infrastructure.forecasting.engine import run_panel
from infrastructure.forecasting.local_models import seasonal_scale
from infrastructure.forecasting.panel import (
    ForecastInputError,
    build_panel,
    check_freq,
    check_history,
    infer_freq,
    series_freq,
)
from infrastructure.forecasting.scoring import point_metrics, squared_scale

BASELINES = ("seasonal_naive", "ets", "arima")
MIN_TRAIN = 3  # points a series needs before a cutoff to take part in that origin
REPORTED = (
    "selected",
    "hybrid",
    "combination",
    "ets_arima",
    "theta",
    "arima",
    "ets",
    "seasonal_naive",
    "sba",
    "tsb",
    "mean",
)


def evaluate(
    history: pd.DataFrame,
    horizon: int,
    freq: str | None = None,
    season: int | None = None,
    origins: int = 3,
    progress: Callable[[str], None] | None = None,
    step: int | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Backtest the forecaster and its baselines over `origins` cutoffs `step` apart (default: horizon).

    Cutoffs are counted back from each series' own last date, so panels whose series end at different
    times (as M4's do) are scored on their own latest windows. Covariate columns in the history are treated
    as known in advance (as a promotion calendar is) and handed to the engine as future covariates for each
    test window. Metrics are means over series.
    """
    frame = check_history(history, horizon)
    if origins < 1:
        raise ForecastInputError(f"origins must be at least 1, got {origins}")
    freq = freq or infer_freq(frame)
    check_freq(freq)
    step = step or horizon
    records: list[dict[str, Any]] = []
    selections: dict[str, int] = {}
    timings: dict[str, float] = {}
    panel_season = season
    latest: list[str] = []
    for number, back in enumerate(reversed(range(origins)), start=1):
        train, test = _split(frame, freq, horizon, horizon + back * step)
        if train.empty:
            raise ForecastInputError("history is too short for that many evaluation origins")
        panel = build_panel(train, horizon, test, freq, season)
        panel_season = panel.season
        result = run_panel(panel, progress, workers)
        for key, value in result.timings.items():
            timings[key] = timings.get(key, 0.0) + value
        records.extend(_score(result.frame, train, test, panel.season))
        for model in result.summary["model"]:
            selections[model] = selections.get(model, 0) + 1
        latest.append(str(test["date"].min().date()))
        if progress is not None:
            progress(f"origin {number}/{origins} (first test date {latest[-1]}) scored")
    report = _summarise(pd.DataFrame(records))
    report.update(
        {
            "horizon": horizon,
            "freq": freq,
            "season": panel_season,
            "origins": latest,
            "series": int(frame["series_id"].nunique()),
            "gate_selected": dict(sorted(selections.items())),
            "seconds": {k: round(v, 2) for k, v in timings.items()},
        }
    )
    return report


def _split(frame: pd.DataFrame, freq: str, horizon: int, back: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per series: history before the date `back` periods before its end, and the `horizon` dates from it.

    Series with fewer than MIN_TRAIN points before that cutoff sit this origin out.
    """
    trains, tests = [], []
    for _, rows in frame.groupby("series_id", sort=False):
        offset = to_offset(series_freq(freq, rows["date"].iloc[0]))
        last = rows["date"].iloc[-1]
        cutoff = last - (back - 1) * offset
        stop = cutoff + horizon * offset
        train = rows[rows["date"] < cutoff]
        if len(train) < MIN_TRAIN:
            continue
        trains.append(train)
        tests.append(rows[(rows["date"] >= cutoff) & (rows["date"] < stop)])
    if not trains:
        return frame.iloc[:0], frame.iloc[:0]
    return pd.concat(trains, ignore_index=True), pd.concat(tests, ignore_index=True)


def _score(forecasts: pd.DataFrame, train: pd.DataFrame, test: pd.DataFrame, season: int) -> list[dict[str, Any]]:
    """One record per (series, model) for this origin: metrics, coverage counts and sales weight."""
    joined = forecasts.merge(test[["series_id", "date", "y"]], on=["series_id", "date"], how="inner")
    selected = joined[joined["selected"]].assign(model="selected")
    records = []
    history = {key: rows["y"].to_numpy(dtype=float) for key, rows in train.groupby("series_id")}
    for (key, model), rows in pd.concat([joined, selected]).groupby(["series_id", "model"]):
        y = history[str(key)]
        actual, mean = rows["y"].to_numpy(), rows["mean"].to_numpy()
        record = point_metrics(actual, mean, seasonal_scale(y, season), squared_scale(y, season))
        for level in (80, 95):
            inside = (actual >= rows[f"lower_{level}"].to_numpy()) & (actual <= rows[f"upper_{level}"].to_numpy())
            record[f"covered_{level}"] = float(np.sum(inside))
        record.update(
            {
                "series_id": key,
                "model": model,
                "points": len(actual),
                "weight": float(np.sum(np.abs(y[-len(actual) :]))),
            }
        )
        records.append(record)
    return records


def _summarise(records: pd.DataFrame) -> dict[str, Any]:
    per_series = records.groupby(["model", "series_id"]).agg(
        mase=("mase", "mean"),
        rmsse=("rmsse", "mean"),
        error_sum=("error_sum", "sum"),
        actual_abs_sum=("actual_abs_sum", "sum"),
        covered_80=("covered_80", "sum"),
        covered_95=("covered_95", "sum"),
        points=("points", "sum"),
        weight=("weight", "sum"),
    )
    mase = per_series["mase"].unstack(level=0)
    models: dict[str, Any] = {}
    for model in REPORTED:
        if model not in mase.columns:
            continue
        rows = per_series.loc[model]
        weights = rows["weight"] / rows["weight"].sum() if rows["weight"].sum() > 0 else None
        models[model] = {
            "series": len(rows),
            "mase": _round(rows["mase"].mean()),
            "rmsse": _round(rows["rmsse"].mean()),
            "wrmsse": _round(float(np.sum(weights * rows["rmsse"]))) if weights is not None else None,
            "bias_pct": _round(100 * rows["error_sum"].sum() / max(rows["actual_abs_sum"].sum(), 1e-9)),
            "coverage_80": _round(rows["covered_80"].sum() / rows["points"].sum()),
            "coverage_95": _round(rows["covered_95"].sum() / rows["points"].sum()),
            "win_rate": _win_rates(mase, model),
        }
    return {"models": models}


def _win_rates(mase: pd.DataFrame, model: str) -> dict[str, float]:
    rates = {}
    for baseline in BASELINES:
        if baseline == model or baseline not in mase.columns:
            continue
        both = mase[[model, baseline]].dropna()
        if both.empty:
            continue
        wins = (both[model] < both[baseline]).sum() + 0.5 * (both[model] == both[baseline]).sum()
        rates[baseline] = _round(wins / len(both))
    return rates


def _round(value: float) -> float:
    return round(float(value), 4)
