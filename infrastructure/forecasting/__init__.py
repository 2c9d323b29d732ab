"""Demand forecasting: SARIMA + global XGBoost residual hybrid, gated per series by rolling-origin backtests."""

from infrastructure.forecasting.engine import ForecastReport, forecast, forecast_with_report
from infrastructure.forecasting.evaluation import evaluate
from infrastructure.forecasting.panel import OUTPUT_COLUMNS, ForecastInputError
from infrastructure.forecasting.summary import SERIES_COLUMNS

__all__ = [
    "OUTPUT_COLUMNS",
    "SERIES_COLUMNS",
    "ForecastInputError",
    "ForecastReport",
    "evaluate",
    "forecast",
    "forecast_with_report",
]
