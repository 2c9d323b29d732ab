"""Demand forecasting: the engine (SARIMA + global XGBoost residual hybrid, gated per series by rolling-origin
backtests; pandas in, pandas out) and its database side (store, refresh runs, queries).

The engine's names load on first use (PEP 562), so processes that only read or write forecasts in the
database — the API, the CLI, most workers — never import pandas, statsmodels or xgboost."""

from __future__ import annotations

from importlib import import_module
from typing import Any

_ENGINE = {
    "ForecastReport": "infrastructure.forecasting.engine",
    "forecast": "infrastructure.forecasting.engine",
    "forecast_with_report": "infrastructure.forecasting.engine",
    "evaluate": "infrastructure.forecasting.evaluation",
    "OUTPUT_COLUMNS": "infrastructure.forecasting.panel",
    "ForecastInputError": "infrastructure.forecasting.panel",
    "SERIES_COLUMNS": "infrastructure.forecasting.summary",
}

__all__ = [
    "OUTPUT_COLUMNS",
    "SERIES_COLUMNS",
    "ForecastInputError",
    "ForecastReport",
    "evaluate",
    "forecast",
    "forecast_with_report",
]


def __getattr__(name: str) -> Any:
    if name in _ENGINE:
        return getattr(import_module(_ENGINE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
