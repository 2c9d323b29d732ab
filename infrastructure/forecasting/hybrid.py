"""The hybrid's second stage: one global XGBoost model of what SARIMA leaves, across all series.

Target: SARIMA's one-step residual divided by the series' scale (so one model serves every SKU size).
Features: covariates (promotion, price, holidays...) at t, their deviation from the series' mean and their
value at the seasonal "anchor" SARIMA copies from; calendar; lags of y and of the panel-wide level
(market trend) at least `horizon` back, so every feature is known at the forecast origin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from infrastructure.forecasting.local_models import LocalFit
from infrastructure.forecasting.panel import Series

TRAIN_WINDOW_SEASONS = 8  # residual rows per series: at most this many seasons...
TRAIN_WINDOW_MIN = 365  # ...or this many points before each origin, whichever is more
TARGET_CLIP = 8.0  # scaled residuals beyond this are outliers, not signal
XGB_PARAMS: dict[str, float | int | str] = {
    "objective": "reg:squarederror",
    "eta": 0.05,
    "max_depth": 4,
    "min_child_weight": 20,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "lambda": 5.0,
    "tree_method": "hist",
    "nthread": 2,
    "seed": 7,
}
XGB_ROUNDS = 200


def hybrid_forecasts(
    series: Sequence[Series], fits: Sequence[LocalFit], season: int, horizon: int
) -> tuple[dict[int, np.ndarray], dict[str, Any]]:
    """SARIMA plus predicted residual, per regular series index, one row per origin of its LocalFit.

    Also returns the settings of the final (forecast-origin) booster for the series report.
    """
    regular = [
        i for i, fit in enumerate(fits) if fit.kind == "regular" and fit.fitted is not None and fit.season == season
    ]
    if not regular:
        return {}, {}
    market = _market_level(series, fits, regular)
    base = {i: _base_features(series[i], fits[i], market, season, horizon) for i in regular}
    # Series may have different numbers of backtest origins: align them from the end (the last is the forecast).
    origin_count = max(len(fits[i].origins) for i in regular)
    out = {i: np.array(fits[i].forecasts["arima"], dtype=float) for i in regular}
    settings: dict[str, Any] = {}
    for j in range(origin_count):
        index = {i: j - origin_count + len(fits[i].origins) for i in regular}
        active = [i for i in regular if index[i] >= 0]
        train_x, train_y = _training_rows(series, fits, base, active, index, season)
        settings = {
            "base": "arima",
            "xgboost": {k: XGB_PARAMS[k] for k in ("eta", "max_depth", "min_child_weight", "lambda")},
            "rounds": XGB_ROUNDS,
            "training_rows": len(train_y),
            "features": train_x.shape[1],
        }
        if len(train_y) < 50:
            settings["fallback"] = "too few residual rows: arima alone"
            continue
        booster = xgb.train(XGB_PARAMS, xgb.DMatrix(train_x, label=train_y), num_boost_round=XGB_ROUNDS)
        rows = [_prediction_rows(fits[i], base[i], series[i], index[i], season, horizon) for i in active]
        corrections = booster.predict(xgb.DMatrix(np.vstack(rows))).reshape(len(active), horizon)
        for i, correction in zip(active, corrections, strict=True):
            out[i][index[i]] = out[i][index[i]] + correction * fits[i].scale
    return out, settings


def _market_level(series: Sequence[Series], fits: Sequence[LocalFit], regular: list[int]) -> pd.Series:
    """Panel-wide mean of scaled demand per date: the market-trend signal T_t."""
    parts = [pd.Series(series[i].y / fits[i].scale, index=series[i].dates[: len(series[i].y)]) for i in regular]
    return pd.concat(parts).groupby(level=0).mean()


def _base_features(one: Series, fit: LocalFit, market: pd.Series, season: int, horizon: int) -> np.ndarray:
    """Origin-independent features for every history and horizon date of one series."""
    total = len(one.dates)
    scaled = pd.Series(np.concatenate([one.y / fit.scale, np.full(total - len(one.y), np.nan)]))
    window = max(season, 2)
    own = scaled.rolling(window, min_periods=1).mean().shift(horizon)
    level = market.reindex(one.dates).reset_index(drop=True)
    trend = level.rolling(window, min_periods=1).mean().shift(horizon)
    covariates = one.covariates
    history_mean = np.nanmean(covariates[: len(one.y)], axis=0) if covariates.shape[1] else np.zeros(0)
    calendar = np.column_stack(
        [
            one.dates.month,
            one.dates.isocalendar().week.to_numpy(dtype=float),
            one.dates.day_of_week,
            one.dates.day,
        ]
    )
    return np.column_stack(
        [
            covariates,
            covariates - history_mean,
            calendar,
            scaled.shift(horizon).to_numpy(),
            own.to_numpy(),
            (own - own.shift(window)).to_numpy(),
            trend.to_numpy(),
            (trend - trend.shift(window)).to_numpy(),
        ]
    ).astype(float)


def _anchor(t: np.ndarray, origin: int, season: int) -> np.ndarray:
    """The observed date SARIMA's seasonal recursion copies for date t (t - m for one-step predictions)."""
    lag = season if season > 1 else 1
    ahead = np.maximum(t - origin + 1, 1)
    steps = np.where(t >= origin, np.ceil(ahead / lag), 1).astype(int)
    anchors: np.ndarray = t - lag * steps
    return anchors


def _origin_features(
    one: Series, base: np.ndarray, t: np.ndarray, origin: int, level: np.ndarray, season: int, scale: float
) -> np.ndarray:
    anchor = _anchor(t, origin, season)
    anchored = one.covariates[np.maximum(anchor, 0)]
    anchored[anchor < 0] = np.nan
    return np.column_stack([base[t], anchored, level / scale])


def _training_rows(
    series: Sequence[Series],
    fits: Sequence[LocalFit],
    base: dict[int, np.ndarray],
    regular: list[int],
    index: dict[int, int],
    season: int,
) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    window = max(TRAIN_WINDOW_SEASONS * season, TRAIN_WINDOW_MIN)
    for i in regular:
        fit, one = fits[i], series[i]
        if fit.fitted is None:  # never: `regular` holds only fits with one-step predictions
            continue
        origin = fit.origins[index[i]]
        t = np.arange(max(0, origin - window), origin)
        t = t[np.isfinite(fit.fitted[t])]
        if len(t) == 0:
            continue
        # One-step predictions copy the season before t: an origin past every t gives anchor t - m.
        xs.append(_origin_features(one, base[i], t, origin + 1, fit.fitted[t], season, fit.scale))
        ys.append(np.clip((one.y[t] - fit.fitted[t]) / fit.scale, -TARGET_CLIP, TARGET_CLIP))
    if not xs:
        return np.zeros((0, 1)), np.zeros(0)
    return np.vstack(xs), np.concatenate(ys)


def _prediction_rows(fit: LocalFit, base: np.ndarray, one: Series, j: int, season: int, horizon: int) -> np.ndarray:
    origin = fit.origins[j]
    t = np.arange(origin, origin + horizon)
    return _origin_features(one, base, t, origin, fit.forecasts["arima"][j], season, fit.scale)


def training_rows_per_origin(series_count: int, season: int) -> int:
    """Upper bound of residual rows one XGBoost fit sees (for sizing and speed reports)."""
    return series_count * max(TRAIN_WINDOW_SEASONS * season, TRAIN_WINDOW_MIN)
