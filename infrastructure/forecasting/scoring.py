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
GROWTH_MAX = 0.5  # steepest error growth with the horizon step assumed when scores are few (random walk)
# Widths in scale units when no backtest exists at all (Gaussian, with MAE ~ 0.8 sigma).
FALLBACK_WIDTH = {0.80: 1.28 / 0.8, 0.95: 1.96 / 0.8}


@dataclass(frozen=True)
class Widths:
    """Distances of the 80% and 95% bounds below and above the forecast per step, in units of a series' scale."""

    below: dict[float, np.ndarray]
    above: dict[float, np.ndarray]


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


def select_model(y: np.ndarray, fit: LocalFit, panel_mase: dict[str, float], covariates: bool = True) -> str:
    """Gate: hybrid only where it adds value in backtest; else the best plain model for the series' kind.

    The hybrid must beat the series' choice and ARIMA by GATE_MARGIN on the shrunk score and, across the
    panel, the default combination by the same margin. Without covariates (nothing the local models lack)
    the hybrid is never chosen: a residual model on lags and calendar alone is neutral or worse out of
    sample (forecasting-notes.md) even where a short backtest favours it.

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
    if covariates and "hybrid" in score and score["hybrid"] < (1 - GATE_MARGIN) * min(score[best], score["arima"]):
        # The hybrid is one global model: it must also add value over the default across the panel.
        panel_hybrid = panel_mase.get("hybrid", score["hybrid"])
        if panel_hybrid < (1 - GATE_MARGIN) * panel_mase.get(DEFAULT_MODEL, score[DEFAULT_MODEL]):
            return "hybrid"
    return best


def calibrate(errors: Sequence[np.ndarray], horizon: int) -> Widths | None:
    """Split-conformal distances below and above the forecast from pooled signed scaled backtest errors.

    Each side takes the conformal (1 + level)/2 quantile of its own errors, so a model that tends to
    over- or under-forecast, or right-skewed demand, gets an interval shifted accordingly. Horizon steps
    are pooled in buckets when scores are plentiful, else along a fitted growth curve.
    """
    usable = [e for e in errors if e.size]
    if not usable:
        return None
    stacked = np.vstack(usable)  # rows: (series, origin); columns: horizon step; actual - forecast
    buckets = max(1, min(4, horizon, stacked.size // SCORES_PER_BUCKET))
    if buckets < min(4, horizon):
        growth = _error_growth(np.abs(stacked), horizon)
        return _sided_widths(stacked / growth, [(0, horizon)], growth)
    edges = np.linspace(0, horizon, buckets + 1).round().astype(int)
    return _sided_widths(stacked, list(itertools.pairwise(edges)), np.ones(horizon))


def _error_growth(absolute: np.ndarray, horizon: int) -> np.ndarray:
    """Few scores: a growth curve step**b, b in [0, 1/2], to pool all horizon steps after dividing by it.

    b is the log-log slope of the mean absolute error per step (0: errors do not grow, 1/2: random walk).
    Unlike one flat bucket, this keeps early steps narrow and late steps wide when only a few dozen
    errors exist.
    """
    steps = np.arange(1, horizon + 1, dtype=float)
    means = absolute.mean(axis=0)
    exponent = 0.0
    if horizon > 1 and np.all(means > 0):
        exponent = float(np.clip(np.polyfit(np.log(steps), np.log(means), 1)[0], 0.0, GROWTH_MAX))
    growth: np.ndarray = steps**exponent
    return growth


def _sided_widths(scores: np.ndarray, buckets: list[tuple[int, int]], growth: np.ndarray) -> Widths:
    horizon = scores.shape[1]
    below = {level: np.zeros(horizon) for level in LEVELS}
    above = {level: np.zeros(horizon) for level in LEVELS}
    for lo, hi in buckets:
        part = scores[:, lo:hi].ravel()
        for level in LEVELS:
            side = (1 + level) / 2
            # Never exclude the forecast itself from its interval.
            below[level][lo:hi] = max(conformal_quantile(-part, side), 0.0) * growth[lo:hi]
            above[level][lo:hi] = max(conformal_quantile(part, side), 0.0) * growth[lo:hi]
    return Widths(below, above)


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The ceil((n+1)·level)-th smallest score: finite-sample valid for exchangeable errors."""
    n = len(scores)
    rank = min(n, math.ceil((n + 1) * level))
    return float(np.sort(scores)[rank - 1])


def fallback_widths(horizon: int) -> Widths:
    """Widths when nothing could be backtested: Gaussian, growing with the square root of the step."""
    growth = np.sqrt(np.arange(1, horizon + 1))
    half = {level: FALLBACK_WIDTH[level] * growth for level in LEVELS}
    return Widths(half, half)


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
