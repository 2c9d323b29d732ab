"""One row per series on the chosen model: its kind, backtest accuracy, error spread and parameters."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from infrastructure.forecasting.local_models import LocalFit
from infrastructure.forecasting.panel import Panel
from infrastructure.forecasting.scoring import backtest_errors

SERIES_COLUMNS = [
    "series_id",
    "model",
    "kind",
    "backtest_mase",
    "backtest_bias",
    "error_sd",
    "scale",
    "observations",
    "start",
    "end",
    "params",
]


def series_summary(panel: Panel, fits: list[LocalFit], chosen: list[str]) -> pd.DataFrame:
    """The ForecastReport.series frame, in the panel's series order."""
    rows = [
        _row(one.key, one.y, one.dates, fit, model) for one, fit, model in zip(panel.series, fits, chosen, strict=True)
    ]
    frame = pd.DataFrame(rows, columns=SERIES_COLUMNS)
    frame["observations"] = frame["observations"].astype("int64")
    frame["start"] = pd.to_datetime(frame["start"])
    frame["end"] = pd.to_datetime(frame["end"])
    return frame


def _row(key: str, y: np.ndarray, dates: pd.DatetimeIndex, fit: LocalFit, model: str) -> dict[str, Any]:
    errors = _over_forecast(y, fit, model)  # forecast - actual, in units of y
    actual = _actuals(y, fit, model)
    has_backtest = errors.size > 0
    absolute = float(np.sum(np.abs(actual))) if has_backtest else 0.0
    return {
        "series_id": key,
        "model": model,
        "kind": fit.kind,
        "backtest_mase": float(np.mean(np.abs(errors)) / fit.scale) if has_backtest else math.nan,
        "backtest_bias": 100 * float(np.sum(errors)) / absolute if has_backtest and absolute > 0 else math.nan,
        "error_sd": float(np.sqrt(np.mean(errors**2))) if has_backtest else float(fit.scale),
        "scale": float(fit.scale),
        "observations": len(y),
        "start": dates[0],
        "end": dates[len(y) - 1],
        "params": params_json(fit.params.get(model, {})),
    }


def _over_forecast(y: np.ndarray, fit: LocalFit, model: str) -> np.ndarray:
    """Backtest errors as forecast − actual in units of y (positive = over-forecast), all origins flattened."""
    if len(fit.origins) < 2:
        return np.zeros(0)
    return -(backtest_errors(y, fit, model) * fit.scale).ravel()


def _actuals(y: np.ndarray, fit: LocalFit, model: str) -> np.ndarray:
    horizon = fit.forecasts[model].shape[1]
    parts = [y[o : o + horizon] for o in fit.origins[:-1]]
    return np.concatenate(parts) if parts else np.zeros(0)


def params_json(params: dict[str, Any]) -> str:
    """Compact, strictly valid JSON (non-finite numbers become null)."""
    return json.dumps(_clean(params), separators=(",", ":"), sort_keys=True, allow_nan=False)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round(float(value), 6) if math.isfinite(float(value)) else None
    return str(value)
