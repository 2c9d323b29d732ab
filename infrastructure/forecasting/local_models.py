"""Per-series models on numpy arrays: seasonal naive, ETS, fixed-order SARIMA, Croston/SBA, TSB, mean.

Each model is estimated once, at the first backtest origin, and then only re-filtered with the same
parameters at the later origins and at the end of the history (SARIMA: `results.append(..., refit=False)`;
ETS: the fitted parameters held fixed). That is the "re-select weekly, update state nightly" schedule of
forecasting-notes.md and makes a per-series backtest cost about one fit.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX

BACKTEST_ORIGINS = 3
# Small panels pool few backtest errors for the gate and the intervals; they get up to this many origins
# (same spacing), as long as the first origin keeps EXTRA_ORIGIN_MIN_SEASONS seasons of history.
SMALL_PANEL_ORIGINS = 8
EXTRA_ORIGIN_MIN_SEASONS = 3
ADI_INTERMITTENT = 1.32  # average demand interval above which a series is intermittent (Syntetos-Boylan)
CROSTON_ALPHA = 0.1
THETA_SEASONALITY_CHI2 = 2.705543454095404  # 90% point of chi2(1), the test statsmodels' ThetaModel uses
THETA_ALPHAS = np.linspace(0.02, 1.0, 50)
SHORT_THETA_MIN = 12  # a short, non-intermittent series with this many points gets non-seasonal Theta
TSB_BETA = 0.1
FIT_WINDOW_SEASONS = 6  # parameters are estimated on at most this many seasons...
FIT_WINDOW_MIN = 250  # ...or this many points, whichever is more
BURN_IN = 8  # one-step predictions dropped after the start of the SARIMA window
REGULAR_MODELS = ("seasonal_naive", "ets", "arima", "theta", "ets_arima", "combination")
INTERMITTENT_MODELS = ("sba", "tsb")


@dataclass
class LocalFit:
    """Forecasts of one series from each backtest origin and from the end of its history.

    `forecasts[model]` has one row per entry of `origins` (the last origin is len(y), the real forecast).
    `fitted` holds SARIMA one-step predictions (NaN where none) for the hybrid's residual model.
    """

    kind: str  # "regular", "intermittent" or "short"
    origins: list[int]
    scale: float
    forecasts: dict[str, np.ndarray] = field(default_factory=dict)
    fitted: np.ndarray | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # per model, for the series report
    season: int = 1  # the seasonal period the models used (1 when the history is too short for the panel's)


def backtest_origins(n: int, horizon: int, count: int = BACKTEST_ORIGINS) -> list[int]:
    """Rolling origins ending `horizon` before the end, half a horizon apart, plus the end itself."""
    step = max(1, math.ceil(horizon / 2))
    return [n - horizon - (count - 1 - j) * step for j in range(count)] + [n]


def min_regular_length(season: int, horizon: int) -> int:
    """Shortest history that gets the full model set and a backtest gate."""
    step = max(1, math.ceil(horizon / 2))
    return season + max(season // 2, 20) + horizon + (BACKTEST_ORIGINS - 1) * step


def origin_count(n: int, season: int, horizon: int, most: int) -> int:
    """Backtest origins for a series of length n: BACKTEST_ORIGINS, more (up to `most`) when history allows.

    Extra origins only go back while the first origin still leaves the regular minimum and at least
    EXTRA_ORIGIN_MIN_SEASONS seasons, so the models estimated there keep their seasonal terms.
    """
    step = max(1, math.ceil(horizon / 2))
    floor = max(
        min_regular_length(season, horizon) - horizon - (BACKTEST_ORIGINS - 1) * step,
        EXTRA_ORIGIN_MIN_SEASONS * season,
    )
    count = BACKTEST_ORIGINS
    while count < most and n - horizon - count * step >= floor:
        count += 1
    return count


def seasonal_scale(y: np.ndarray, season: int) -> float:
    """Mean absolute seasonal difference (the MASE denominator); lag 1 when the history is too short."""
    lag = season if len(y) > season + 1 else 1
    if len(y) <= lag:
        return max(float(np.mean(np.abs(y))), 1.0) if len(y) else 1.0
    scale = float(np.mean(np.abs(y[lag:] - y[:-lag])))
    if scale > 0:
        return scale
    return max(float(np.mean(np.abs(y))), 1e-9) if np.any(y) else 1.0


def fit_series(y: np.ndarray, season: int, horizon: int, most_origins: int = BACKTEST_ORIGINS) -> LocalFit:
    """Classify the series and produce every applicable model's forecasts from every origin."""
    n = len(y)
    if n < min_regular_length(season, horizon):
        if season > 1 and n >= min_regular_length(1, horizon):
            # too short to learn a season: non-seasonal models, still gated
            return fit_series(y, 1, horizon, most_origins)
        return _short(y, season, horizon)
    origins = backtest_origins(n, horizon, origin_count(n, season, horizon, most_origins))
    # Parameters are estimated at the regular first origin; extra earlier origins (small panels) get their
    # own estimation there, so neither the forecast nor the backtest sees parameters fitted on its future.
    first = origins[-1 - BACKTEST_ORIGINS]
    scale = seasonal_scale(y[:first], season)
    nonzero = int(np.count_nonzero(y[:first]))
    if nonzero == 0 or first / nonzero > ADI_INTERMITTENT:
        fit = LocalFit("intermittent", origins, scale, season=season)
        fit.forecasts["sba"] = np.array([_croston(y[:o], horizon, sba=True) for o in origins])
        fit.forecasts["tsb"] = np.array([_tsb(y[:o], horizon) for o in origins])
        fit.forecasts["seasonal_naive"] = np.array([seasonal_naive(y[:o], horizon, season) for o in origins])
        fit.params.update(
            {
                "sba": {"alpha": CROSTON_ALPHA, "debias": 1 - CROSTON_ALPHA / 2},
                "tsb": {"alpha": CROSTON_ALPHA, "beta": TSB_BETA},
                "seasonal_naive": {"season": season},
            }
        )
        return fit
    fit = LocalFit("regular", origins, scale, season=season)
    fit.forecasts["seasonal_naive"] = np.array([seasonal_naive(y[:o], horizon, season) for o in origins])
    fit.params["seasonal_naive"] = {"season": season}
    main, extra = origins[-1 - BACKTEST_ORIGINS :], origins[: -1 - BACKTEST_ORIGINS]
    fit.forecasts["ets"], fit.params["ets"] = _ets(y, main, horizon, season)
    fit.forecasts["arima"], fit.fitted, fit.params["arima"] = _arima(y, main, horizon, season)
    fit.forecasts["theta"], fit.params["theta"] = _theta(y, main, horizon, season)
    if extra:
        early = y[: main[0]]
        fit.forecasts["ets"] = np.vstack([_ets(early, extra, horizon, season)[0], fit.forecasts["ets"]])
        fit.forecasts["arima"] = np.vstack([_arima(early, extra, horizon, season)[0], fit.forecasts["arima"]])
        fit.forecasts["theta"] = np.vstack([_theta(early, extra, horizon, season)[0], fit.forecasts["theta"]])
    fit.forecasts["ets_arima"] = (fit.forecasts["ets"] + fit.forecasts["arima"]) / 2
    fit.params["ets_arima"] = {
        "weights": {"ets": 0.5, "arima": 0.5},
        "ets": fit.params["ets"],
        "arima": fit.params["arima"],
    }
    parts = ("ets", "arima", "theta")
    fit.forecasts["combination"] = np.mean([fit.forecasts[m] for m in parts], axis=0)
    fit.params["combination"] = {"mean_of": list(parts), **{m: fit.params[m] for m in parts}}
    return fit


def fit_chunk(
    chunk: list[np.ndarray], season: int, horizon: int, most_origins: int = BACKTEST_ORIGINS
) -> list[LocalFit]:
    """Worker entry point: fit a list of series in one process."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [fit_series(y, season, horizon, most_origins) for y in chunk]


def seasonal_naive(y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Repeat the last observed season (the last value when the history is shorter than a season)."""
    if len(y) < season or season <= 1:
        return np.full(horizon, y[-1])
    last = y[-season:]
    return np.array([last[j % season] for j in range(horizon)])


def _short(y: np.ndarray, season: int, horizon: int) -> LocalFit:
    n = len(y)
    origins = [n - horizon, n] if n > horizon + 1 else [n]
    scale = seasonal_scale(y, season)
    window = max(season, 4)
    regular = np.count_nonzero(y) * ADI_INTERMITTENT >= n
    if n >= 2 * season and season > 1:
        model, rows = "seasonal_naive", [seasonal_naive(y[:o], horizon, season) for o in origins]
        params: dict[str, Any] = {"season": season}
    elif regular and origins[0] >= SHORT_THETA_MIN:
        model = "theta"  # too short for a season, long enough for a level and a drift
        table, params = _theta(y, origins, horizon, 1)
        rows = list(table)
    else:
        model, rows = "mean", [np.full(horizon, np.mean(y[max(0, o - window) : o])) for o in origins]
        params = {"window": window}
    return LocalFit("short", origins, scale, forecasts={model: np.array(rows)}, params={model: params}, season=season)


def _fit_start(origin: int, season: int) -> int:
    return max(0, origin - max(FIT_WINDOW_SEASONS * season, FIT_WINDOW_MIN))


def _ets(y: np.ndarray, origins: list[int], horizon: int, season: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Damped additive-trend Holt-Winters, additive seasonality when two seasons are available."""
    start = _fit_start(origins[0], season)
    seasonal = season > 1 and origins[0] - start >= 2 * season
    try:
        first = _hw_model(y[start : origins[0]], season, seasonal, None).fit(use_brute=False)
        params: dict[str, Any] = dict(first.params)
        rows = [first.forecast(horizon)]
        for origin in origins[1:]:
            model = _hw_model(y[start:origin], season, seasonal, params)
            result = model.fit(
                smoothing_level=params["smoothing_level"],
                smoothing_trend=params["smoothing_trend"],
                smoothing_seasonal=params["smoothing_seasonal"] if seasonal else None,
                damping_trend=params["damping_trend"],
                optimized=False,
            )
            rows.append(result.forecast(horizon))
        out = np.array(rows, dtype=float)
    except (ValueError, IndexError, np.linalg.LinAlgError):
        out = np.full((len(origins), horizon), np.nan)
    if not np.all(np.isfinite(out)):
        return _naive_rows(y, origins, horizon, season), {"fallback": "seasonal_naive"}
    names = ("smoothing_level", "smoothing_trend", "smoothing_seasonal", "damping_trend")
    described: dict[str, Any] = {"trend": "add_damped", "seasonal": "add" if seasonal else None}
    described.update({name: params[name] for name in names if seasonal or name != "smoothing_seasonal"})
    return out, described


def _theta(y: np.ndarray, origins: list[int], horizon: int, season: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Theta method (SES plus half the linear trend's drift) on the seasonally adjusted series.

    As statsmodels' ThetaModel, but in plain numpy (a fifth of the cost): a 90% autocorrelation test at the
    seasonal lag decides on seasonal adjustment (classical decomposition, multiplicative for positive series).
    """
    rows: list[np.ndarray] = []
    described: dict[str, Any] = {}
    for origin in origins:
        window = y[_fit_start(origin, season) : origin]
        row, described = theta_forecast(window, horizon, season)
        rows.append(row)
    out = np.array(rows, dtype=float)
    if not np.all(np.isfinite(out)):
        return _naive_rows(y, origins, horizon, season), {"fallback": "seasonal_naive"}
    return out, described


def theta_forecast(y: np.ndarray, horizon: int, season: int) -> tuple[np.ndarray, dict[str, Any]]:
    """One Theta(2) forecast of `y` with its parameters."""
    n = len(y)
    index, method = _seasonal_index(y, season)
    position = np.arange(n + horizon) % season if index.size else np.zeros(0, dtype=int)
    adjusted = y / index[position[:n]] if method == "multiplicative" else y - (index[position[:n]] if index.size else 0)
    t = np.arange(n, dtype=float)
    b0 = float(np.polyfit(t, adjusted, 1)[0]) if n > 1 else 0.0
    alpha, level = _ses(adjusted)
    steps = np.arange(horizon, dtype=float) + 1 / alpha - (1 - alpha) ** n / alpha
    forecast = level + 0.5 * b0 * steps
    if method == "multiplicative":
        forecast = forecast * index[position[n:]]
    elif index.size:
        forecast = forecast + index[position[n:]]
    return forecast, {"alpha": alpha, "drift": b0 / 2, "seasonal_adjustment": method, "season": season}


def _seasonal_index(y: np.ndarray, season: int) -> tuple[np.ndarray, str]:
    """Classical-decomposition seasonal indices when the seasonality test passes, else (empty, "none")."""
    n = len(y)
    if season <= 1 or n < 2 * season + 2:
        return np.zeros(0), "none"
    centred = y - y.mean()
    denominator = float(np.sum(centred**2))
    if denominator == 0:
        return np.zeros(0), "none"
    rho = np.array([np.sum(centred[k:] * centred[: n - k]) / denominator for k in range(season + 1)])
    if n * rho[-1] ** 2 / np.sum(rho[:-1] ** 2) <= THETA_SEASONALITY_CHI2:
        return np.zeros(0), "none"
    weights = np.ones(season + 1 if season % 2 == 0 else season)
    if season % 2 == 0:
        weights[[0, -1]] = 0.5
    trend = np.full(n, np.nan)
    half = len(weights) // 2
    trend[half : n - half] = np.convolve(y, weights / season, mode="valid")
    multiplicative = bool(np.all(y > 0))
    detrended = y / trend if multiplicative else y - trend
    index = np.array([np.nanmean(detrended[j::season]) for j in range(season)])
    if multiplicative and np.all(index > 0):
        return index / index.mean(), "multiplicative"
    detrended = y - trend
    index = np.array([np.nanmean(detrended[j::season]) for j in range(season)])
    return index - index.mean(), "additive"


def _ses(y: np.ndarray) -> tuple[float, float]:
    """Simple exponential smoothing: the alpha (grid) with the least one-step squared error, final level."""
    alphas = THETA_ALPHAS
    level = np.full(len(alphas), y[0])
    sse = np.zeros(len(alphas))
    for value in y[1:]:
        error = value - level
        sse += error**2
        level = level + alphas * error
    best = int(np.argmin(sse))
    return float(alphas[best]), float(level[best])


def _naive_rows(y: np.ndarray, origins: list[int], horizon: int, season: int) -> np.ndarray:
    return np.array([seasonal_naive(y[:o], horizon, season) for o in origins])


def _hw_model(y: np.ndarray, season: int, seasonal: bool, params: dict[str, Any] | None) -> ExponentialSmoothing:
    init: dict[str, Any] = {"initialization_method": "estimated" if season <= 24 else "heuristic"}
    if params is not None:
        init = {
            "initialization_method": "known",
            "initial_level": params["initial_level"],
            "initial_trend": params["initial_trend"],
        }
        if seasonal:
            init["initial_seasonal"] = params["initial_seasons"]
    return ExponentialSmoothing(
        y,
        trend="add",
        damped_trend=True,
        seasonal="add" if seasonal else None,
        seasonal_periods=season if seasonal else None,
        **init,
    )


def _arima(
    y: np.ndarray, origins: list[int], horizon: int, season: int
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """SARIMA(1,0,1)(0,1,1)_m: ARMA(1,1) x seasonal MA(1) on the seasonal difference, integrated back.

    Differencing by hand keeps the state small (statsmodels' simple_differencing idea) and the one-step
    predictions it leaves behind are the residual target of the hybrid.
    """
    start = _fit_start(origins[0], season)
    lag = season if season > 1 else 1
    seasonal_order = (0, 0, 1, season) if season > 1 else (0, 0, 0, 0)
    diff = y[start + lag :] - y[start : len(y) - lag]
    fitted = np.full(len(y), np.nan)
    try:
        model = SARIMAX(
            diff[: origins[0] - start - lag], order=(1, 0, 1), seasonal_order=seasonal_order, concentrate_scale=True
        )
        result = model.fit(disp=False)
        rows = [_integrate(y[: origins[0]], result.forecast(horizon), lag)]
        full = result.append(diff[origins[0] - start - lag :], refit=False) if origins[0] < len(y) else result
        for origin in origins[1:]:
            part = result.append(diff[origins[0] - start - lag : origin - start - lag], refit=False)
            rows.append(_integrate(y[:origin], part.forecast(horizon), lag))
        one_step = np.asarray(full.fittedvalues)
        fitted[start + lag :] = one_step + y[start : len(y) - lag]
        fitted[: start + lag + min(lag, BURN_IN)] = np.nan  # the diffuse start's first predictions are poor
        out = np.array(rows, dtype=float)
        coefficients = dict(zip(result.model.param_names, np.asarray(result.params, dtype=float), strict=True))
    except (ValueError, IndexError, np.linalg.LinAlgError):
        out, coefficients = np.full((len(origins), horizon), np.nan), {}
    if not np.all(np.isfinite(out)):
        return _naive_rows(y, origins, horizon, season), fitted, {"fallback": "seasonal_naive"}
    described = {"order": [1, 0, 1], "seasonal_order": [0, 1, 1, season] if season > 1 else [0, 1, 0, 1]}
    return out, fitted, {**described, "coefficients": coefficients, "fit_points": origins[0] - start}


def _integrate(history: np.ndarray, diff_forecast: np.ndarray, lag: int) -> np.ndarray:
    extended = list(history[-lag:])
    for j, step in enumerate(np.asarray(diff_forecast)):
        extended.append(extended[j] + float(step))
    return np.array(extended[lag:])


def _croston(y: np.ndarray, horizon: int, sba: bool) -> np.ndarray:
    """Croston's method on demand sizes and intervals; SBA removes its bias with (1 - alpha/2)."""
    nonzero = np.flatnonzero(y)
    if len(nonzero) == 0:
        return np.zeros(horizon)
    size, interval = float(y[nonzero[0]]), float(nonzero[0] + 1)
    previous = nonzero[0]
    for index in nonzero[1:]:
        size += CROSTON_ALPHA * (float(y[index]) - size)
        interval += CROSTON_ALPHA * (float(index - previous) - interval)
        previous = index
    factor = 1 - CROSTON_ALPHA / 2 if sba else 1.0
    return np.full(horizon, factor * size / max(interval, 1.0))


def _tsb(y: np.ndarray, horizon: int) -> np.ndarray:
    """Teunter-Syntetos-Babai: smooths the demand probability every period, so dying items decay."""
    nonzero = np.flatnonzero(y)
    if len(nonzero) == 0:
        return np.zeros(horizon)
    probability = len(nonzero) / len(y)
    size = float(np.mean(y[nonzero]))
    for value in y[nonzero[0] :]:
        occurred = 1.0 if value != 0 else 0.0
        probability += TSB_BETA * (occurred - probability)
        if occurred:
            size += CROSTON_ALPHA * (float(value) - size)
    return np.full(horizon, probability * size)
