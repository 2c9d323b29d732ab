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


@dataclass(frozen=True)
class RefreshRequest:
    """One weekly refresh: every series' demand history up to and including `last_day` (never later)."""

    last_day: date
    histories: Mapping[str, Sequence[float]]
    horizon: int


class DemandForecaster(Protocol):
    """Answers the weekly refreshes of a simulation, each one a panel of histories that end on its `last_day`.

    The refreshes are independent of each other and of the policies (they see demand only), so a forecaster
    may answer them in any order or side by side; the simulation reads each answer on its refresh day.
    """

    def forecast_many(self, requests: Sequence[RefreshRequest]) -> list[Mapping[str, SeriesForecast]]:
        """Forecast `horizon` days after `last_day` for every series of each request (a series may be left
        out); the answers come back in the order of the requests."""
        ...
