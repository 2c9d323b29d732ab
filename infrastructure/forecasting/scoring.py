"""Backtest errors, the forecast-value-added gate, conformal interval widths and accuracy metrics."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from infrastructure.forecasting.local_models import REGULAR_MODELS, LocalFit

GATE_MARGIN = 0.05  # the hybrid must beat the best plain model's backtest MASE by 5% to be used
DEFAULT_MODEL = "combination"  # mean of ETS, ARIMA and Theta: kept unless one model is clearly better
SWITCH_MARGIN = 0.10
SHRINK = 0.7  # weight of the panel-wide backtest score in each series' gate decision
LEVELS = (0.80, 0.95)
SCORES_PER_BUCKET = 150  # horizon steps are pooled into buckets holding at least this many scores
# Widths in scale units when no backtest exists at all (Gaussian, with MAE ~ 0.8 sigma).
FALLBACK_WIDTH = {0.80: 1.28 / 0.8, 0.95: 1.96 / 0.8}


@dataclass(frozen=True)
class Widths:
    """Half-widths of the 80% and 95% intervals per horizon step, in units of a series' scale."""

    by_level: dict[float, np.ndarray]


def backtest_errors(y: np.ndarray, fit: LocalFit, model: str) -> np.ndarray:
    """Scaled errors (actual - forecast) / scale, shape (backtest origins, horizon); empty if none."""
    rows = fit.forecasts[model][:-1]
    horizon = fit.forecasts[model].shape[1]
    errors = [(y[o : o + horizon] - row) / fit.scale for o, row in zip(fit.origins[:-1], rows, strict=True)]
    return np.array(errors).reshape(len(errors), horizon)


def backtest_mase(y: np.ndarray, fit: LocalFit) -> dict[str, float]:
    """Mean absolute scaled backtest error of every model of a series (empty without a backtest)."""
    if len(fit.origins) < 2:
        return {}
    return {m: float(np.mean(np.abs(backtest_errors(y, fit, m)))) for m in fit.forecasts}


def select_model(y: np.ndarray, fit: LocalFit, panel_mase: dict[str, float]) -> str:
    """Gate: hybrid only where it adds value in backtest; else the best plain model for the series' kind.

    A series' own backtest (a few windows) is noisy, so its scores are shrunk toward the panel's mean
    score per model before comparing (weight SHRINK on the panel).
    """
    if fit.kind == "short" or len(fit.origins) < 2:
        return next(iter(fit.forecasts))
    if fit.kind == "intermittent":
        return min(("sba", "tsb"), key=lambda m: float(np.mean(backtest_errors(y, fit, m) ** 2)))
    own = backtest_mase(y, fit)
    score = {m: (1 - SHRINK) * v + SHRINK * panel_mase.get(m, v) for m, v in own.items()}
    best = min(REGULAR_MODELS, key=lambda m: score[m])
    if score[best] > (1 - SWITCH_MARGIN) * score[DEFAULT_MODEL]:
        best = DEFAULT_MODEL
    if "hybrid" in score and score["hybrid"] < (1 - GATE_MARGIN) * min(score[best], score["arima"]):
        return "hybrid"
    return best


def calibrate(errors: Sequence[np.ndarray], horizon: int) -> Widths | None:
    """Split-conformal half-widths from pooled absolute scaled backtest errors, by horizon-step bucket."""
    usable = [e for e in errors if e.size]
    if not usable:
        return None
    stacked = np.abs(np.vstack(usable))  # rows: (series, origin); columns: horizon step
    buckets = max(1, min(4, horizon, stacked.size // SCORES_PER_BUCKET))
    edges = np.linspace(0, horizon, buckets + 1).round().astype(int)
    by_level = {level: np.zeros(horizon) for level in LEVELS}
    for lo, hi in itertools.pairwise(edges):
        scores = stacked[:, lo:hi].ravel()
        for level in LEVELS:
            by_level[level][lo:hi] = conformal_quantile(scores, level)
    return Widths(by_level)


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The ceil((n+1)·level)-th smallest score: finite-sample valid for exchangeable errors."""
    n = len(scores)
    rank = min(n, math.ceil((n + 1) * level))
    return float(np.sort(scores)[rank - 1])


def fallback_widths(horizon: int) -> Widths:
    """Widths when nothing could be backtested: Gaussian, growing with the square root of the step."""
    growth = np.sqrt(np.arange(1, horizon + 1))
    return Widths({level: FALLBACK_WIDTH[level] * growth for level in LEVELS})


def point_metrics(actual: np.ndarray, forecast: np.ndarray, scale: float, scale_sq: float) -> dict[str, float]:
    """MASE, RMSSE and the pieces of bias % for one series and origin."""
    error = forecast - actual
    return {
        "mase": float(np.mean(np.abs(error)) / scale),
        "rmsse": float(math.sqrt(np.mean(error**2) / scale_sq)),
        "error_sum": float(np.sum(error)),
        "actual_abs_sum": float(np.sum(np.abs(actual))),
    }


def squared_scale(y: np.ndarray, season: int) -> float:
    """Mean squared seasonal difference (the RMSSE denominator), lag 1 when too short."""
    lag = season if len(y) > season + 1 else 1
    if len(y) <= lag:
        return 1.0
    value = float(np.mean((y[lag:] - y[:-lag]) ** 2))
    return value if value > 0 else max(float(np.mean(y**2)), 1e-9)
