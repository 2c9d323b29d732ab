"""The forecasting engine behind the simulation's `DemandForecaster` port: one panel call per weekly refresh."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from application.simulation.ports import SeriesForecast
from infrastructure.forecasting.engine import forecast_with_report

FREQ = "D"
SEASON = 7


class EngineForecaster:
    """Runs `forecast_with_report` on every series of a refresh as one panel (daily, weekly season).

    The simulation asks for a horizon of lead time + review period only, and hands over a bounded history
    window: those are the engine's speed levers (its estimation window is at most max(6 seasons, 250 points)).
    """

    def __init__(self, workers: int | None = None, progress: Callable[[str], None] | None = None) -> None:
        self.workers = workers
        self.progress = progress
        self.calls = 0
        self.seconds = 0.0

    def forecast(
        self, histories: Mapping[str, Sequence[float]], last_day: date, horizon: int
    ) -> Mapping[str, SeriesForecast]:
        frame = history_frame(histories, last_day)
        if frame.empty:
            return {}
        report = forecast_with_report(frame, horizon, freq=FREQ, season=SEASON, progress=None, workers=self.workers)
        self.calls += 1
        self.seconds += float(report.timings.get("total_s", 0.0))
        if self.progress is not None:
            self.progress(f"forecast refresh to {last_day.isoformat()}: {len(histories)} series")
        means = report.forecasts.sort_values(["series_id", "date"]).groupby("series_id", sort=False)["mean"]
        errors = dict(zip(report.series["series_id"], report.series["error_sd"], strict=True))
        models = dict(zip(report.series["series_id"], report.series["model"], strict=True))
        return {
            str(key): SeriesForecast(tuple(float(v) for v in values), _finite(errors.get(key)), str(models.get(key)))
            for key, values in means
        }


def history_frame(histories: Mapping[str, Sequence[float]], last_day: date) -> pd.DataFrame:
    """The engine's long input (series_id, date, y): each history ends on `last_day`."""
    parts = []
    for key, values in histories.items():
        if not values:
            continue
        first = last_day - timedelta(days=len(values) - 1)
        parts.append(
            pd.DataFrame(
                {
                    "series_id": key,
                    "date": pd.date_range(first, periods=len(values), freq=FREQ),
                    "y": np.asarray(values, dtype=float),
                }
            )
        )
    if not parts:
        return pd.DataFrame({"series_id": [], "date": [], "y": []})
    return pd.concat(parts, ignore_index=True)


def _finite(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if np.isfinite(number) else None
