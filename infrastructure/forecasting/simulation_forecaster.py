"""The forecasting engine behind the simulation's `DemandForecaster` port: one panel call per weekly refresh.

The refreshes of a simulation are independent panel calls, so they are spread over a few long-lived processes
(each fits its panels itself, `workers=1`), instead of one refresh after another, each starting its own pool of
fitting processes and waiting on the slowest chunk and on the single-threaded stages between them.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import date, timedelta

import numpy as np
import pandas as pd

from application.simulation.ports import RefreshRequest, SeriesForecast
from infrastructure.forecasting.engine import forecast_with_report, resolve_workers
from infrastructure.forecasting.threads import single_threaded_blas

FREQ = "D"
SEASON = 7
Answer = dict[str, SeriesForecast]


class EngineForecaster:
    """Runs `forecast_with_report` on every series of a refresh as one panel (daily, weekly season).

    The simulation asks for a horizon of lead time + review period only, and hands over a bounded history
    window: those are the engine's speed levers (its estimation window is at most max(6 seasons, 250 points)).
    `workers` processes answer refreshes side by side (None: the engine's default, min(2, CPUs)).
    """

    def __init__(self, workers: int | None = None, progress: Callable[[str], None] | None = None) -> None:
        self.workers = resolve_workers(workers)
        self.progress = progress
        self.calls = 0
        self.seconds = 0.0  # engine time summed over the refreshes (over processes: more than the wall time)
        self.wall_seconds = 0.0  # wall time of the refreshes

    def forecast(self, histories: Mapping[str, Sequence[float]], last_day: date, horizon: int) -> Answer:
        """One refresh in this process (the engine spreads its per-series fits over `workers` processes)."""
        return self._answer([RefreshRequest(last_day, histories, horizon)], engine_workers=self.workers)[0]

    def forecast_many(self, requests: Sequence[RefreshRequest]) -> list[Mapping[str, SeriesForecast]]:
        """Every refresh of a simulation, spread over `workers` processes; answers in the requests' order."""
        return list(self._answer(requests, engine_workers=1))

    def _answer(self, requests: Sequence[RefreshRequest], engine_workers: int) -> list[Answer]:
        started = time.perf_counter()
        answers: list[Answer | None] = [None] * len(requests)
        processes = min(self.workers, len(requests))
        if processes < 2:
            for i, request in enumerate(requests):
                answers[i] = self._record(request, *answer_refresh(request, engine_workers), i, len(requests))
        else:
            # spawn: a child must not inherit XGBoost's OpenMP state; each child lives for the whole batch.
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(processes, mp_context=context, initializer=single_threaded_blas) as pool:
                futures = {pool.submit(answer_refresh, request): i for i, request in enumerate(requests)}
                for done, future in enumerate(as_completed(futures), start=1):
                    i = futures[future]
                    answers[i] = self._record(requests[i], *future.result(), done - 1, len(requests))
        self.wall_seconds += time.perf_counter() - started
        return [answer if answer is not None else {} for answer in answers]

    def _record(self, request: RefreshRequest, answer: Answer, seconds: float, done: int, total: int) -> Answer:
        self.calls += 1
        self.seconds += seconds
        if self.progress is not None:
            self.progress(
                f"forecast refresh {done + 1}/{total} (to {request.last_day.isoformat()}): "
                f"{len(request.histories)} series"
            )
        return answer


def answer_refresh(request: RefreshRequest, engine_workers: int = 1) -> tuple[Answer, float]:
    """One refresh as one engine panel call; returns the forecasts and the engine's own seconds."""
    frame = history_frame(request.histories, request.last_day)
    if frame.empty:
        return {}, 0.0
    report = forecast_with_report(frame, request.horizon, freq=FREQ, season=SEASON, workers=engine_workers)
    means = report.forecasts.sort_values(["series_id", "date"]).groupby("series_id", sort=False)["mean"]
    errors = dict(zip(report.series["series_id"], report.series["error_sd"], strict=True))
    models = dict(zip(report.series["series_id"], report.series["model"], strict=True))
    answer = {
        str(key): SeriesForecast(tuple(float(v) for v in values), _finite(errors.get(key)), str(models.get(key)))
        for key, values in means
    }
    return answer, float(report.timings.get("total_s", 0.0))


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
