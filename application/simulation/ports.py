"""The forecaster a simulation needs, as a port (the engine adapter lives in infrastructure/forecasting/)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol


@dataclass(frozen=True)
class SeriesForecast:
    """One series' forecast from a refresh: mean units for each day after the history, and its error."""

    daily: tuple[float, ...]
    error_sd: float | None
    model: str

    def mean_over(self, days: int) -> float:
        """Daily demand over the first `days` forecast days (as the live reorder rule reads a forecast)."""
        points = self.daily[: max(days, 1)]
        return sum(points) / len(points) if points else 0.0


class DemandForecaster(Protocol):
    """Forecasts a panel of daily histories that all end on `last_day` (one call per weekly refresh)."""

    def forecast(
        self, histories: Mapping[str, Sequence[float]], last_day: date, horizon: int
    ) -> Mapping[str, SeriesForecast]:
        """Forecast `horizon` days after `last_day` for every series given; a series may be left out."""
        ...
