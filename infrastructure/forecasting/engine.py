"""Forecast refresh for a whole panel: local models, global residual model, gate, calibrated intervals."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from infrastructure.forecasting.hybrid import hybrid_forecasts
from infrastructure.forecasting.local_models import BACKTEST_ORIGINS, SMALL_PANEL_ORIGINS, LocalFit, fit_chunk
from infrastructure.forecasting.panel import OUTPUT_COLUMNS, ForecastInputError, Panel, build_panel
from infrastructure.forecasting.scoring import (
    LEVELS,
    Widths,
    backtest_errors,
    backtest_mase,
    calibrate,
    fallback_widths,
    select_model,
)
from infrastructure.forecasting.summary import series_summary
from infrastructure.forecasting.threads import limited_blas_threads, single_threaded_blas

Progress = Callable[[str], None]
PARALLEL_MIN_SERIES = 40  # below this a process pool costs more than it saves
SMALL_PANEL_SERIES = 40  # below this the backtest pools few errors: series get extra origins (cheap here)
CHUNK_SIZE = 25
MAX_DEFAULT_WORKERS = 2


@dataclass(frozen=True)
class ForecastReport:
    """The delivered forecasts (OUTPUT_COLUMNS) and one row per series on how they were made.

    `series` says which model the gate chose and how well it did in the backtest, with the error spread
    (`error_sd`, in units of y) that safety-stock rules need; `timings` says where the seconds went.
    """

    forecasts: pd.DataFrame
    series: pd.DataFrame
    timings: Mapping[str, float] = field(default_factory=dict)


@dataclass
class RunResult:
    """Every model's forecast with intervals (long frame), the per-series summary and the stage timings."""

    frame: pd.DataFrame  # OUTPUT_COLUMNS plus "selected" (bool)
    summary: pd.DataFrame  # ForecastReport.series
    timings: dict[str, float] = field(default_factory=dict)


def forecast(
    history: pd.DataFrame,
    horizon: int,
    future: pd.DataFrame | None = None,
    freq: str | None = None,
    season: int | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Forecast every series `horizon` steps past its last date with the model its backtest gate chose.

    Returns exactly the output CSV columns; `model` names the method used for that series (hybrid,
    ets_arima, arima, ets, seasonal_naive, sba, tsb or mean). Covariate columns of the history are used
    only when `future` gives them for the forecast dates.
    """
    return forecast_with_report(history, horizon, future, freq, season, progress, workers).forecasts


def forecast_with_report(
    history: pd.DataFrame,
    horizon: int,
    future: pd.DataFrame | None = None,
    freq: str | None = None,
    season: int | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> ForecastReport:
    """Like `forecast`, plus a per-series account of the chosen model for reorder rules and monitoring.

    `workers` is the number of processes fitting the per-series models: None means min(2, CPUs), 1 fits
    in this process (what a job worker that is itself one of several processes should ask for).
    """
    started = time.perf_counter()
    panel = build_panel(history, horizon, future, freq, season)
    prepared = time.perf_counter() - started
    result = run_panel(panel, progress, workers)
    chosen = result.frame[result.frame["selected"]]
    timings = {"prepare_s": prepared, **result.timings}
    timings["total_s"] = time.perf_counter() - started
    return ForecastReport(
        forecasts=chosen[OUTPUT_COLUMNS].reset_index(drop=True), series=result.summary, timings=timings
    )


def resolve_workers(workers: int | None) -> int:
    """None -> min(2, CPUs); otherwise the given count, which must be at least 1."""
    if workers is None:
        return max(1, min(MAX_DEFAULT_WORKERS, os.cpu_count() or 1))
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
        raise ForecastInputError(f"workers must be a positive integer or None, got {workers!r}")
    return int(workers)


def run_panel(panel: Panel, progress: Progress | None = None, workers: int | None = None) -> RunResult:
    """Fit, backtest, gate and calibrate; the result holds every candidate so evaluation can score all."""
    count = resolve_workers(workers)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    fits = _local_fits(panel, progress, count)
    timings["local_models_s"] = time.perf_counter() - started
    started = time.perf_counter()
    hybrid, hybrid_params = hybrid_forecasts(panel.series, fits, panel.season, panel.horizon)
    for i, rows in hybrid.items():
        fits[i].forecasts["hybrid"] = rows
        fits[i].params["hybrid"] = hybrid_params
    timings["hybrid_xgboost_s"] = time.perf_counter() - started
    _say(progress, "hybrid residual model done")
    started = time.perf_counter()
    frame, chosen = _assemble(panel, fits)
    summary = series_summary(panel, fits, chosen)
    timings["gate_and_intervals_s"] = time.perf_counter() - started
    return RunResult(frame=frame, summary=summary, timings=timings)


def _local_fits(panel: Panel, progress: Progress | None, workers: int) -> list[LocalFit]:
    values = [one.y for one in panel.series]
    chunks = [values[i : i + CHUNK_SIZE] for i in range(0, len(values), CHUNK_SIZE)]
    fits: list[LocalFit] = []
    most = SMALL_PANEL_ORIGINS if len(values) < SMALL_PANEL_SERIES else BACKTEST_ORIGINS
    if len(values) < PARALLEL_MIN_SERIES or workers < 2:
        with limited_blas_threads(1):
            for chunk in chunks:
                fits.extend(fit_chunk(chunk, panel.season, panel.horizon, most))
                _say(progress, f"local models {len(fits)}/{len(values)}")
        return fits
    # spawn: children must not inherit XGBoost's OpenMP state from an earlier refresh in this process.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)), mp_context=context, initializer=single_threaded_blas
    ) as pool:
        futures = [pool.submit(fit_chunk, chunk, panel.season, panel.horizon, most) for chunk in chunks]
        for done in futures:
            fits.extend(done.result())
            _say(progress, f"local models {len(fits)}/{len(values)}")
    return fits


def _assemble(panel: Panel, fits: list[LocalFit]) -> tuple[pd.DataFrame, list[str]]:
    """Gate every series and lay out every candidate's forecast with its calibrated intervals."""
    widths = _calibrate_all(panel, fits)
    own = [
        backtest_mase(one.y, fit) if fit.kind == "regular" else {} for one, fit in zip(panel.series, fits, strict=True)
    ]
    panel_mase = pd.DataFrame([o for o in own if o]).mean().to_dict() if any(own) else {}
    columns: dict[str, list[np.ndarray]] = {name: [] for name in (*OUTPUT_COLUMNS, "selected")}
    chosen_models = []
    covariates = any(one.covariates.shape[1] > 0 for one in panel.series)
    for one, fit in zip(panel.series, fits, strict=True):
        chosen = select_model(one.y, fit, panel_mase, covariates)
        chosen_models.append(chosen)
        dates = one.dates[len(one.y) :]
        floor = 0.0 if bool(np.all(one.y >= 0)) else -np.inf
        for model, rows in fit.forecasts.items():
            width = widths.get((fit.kind, model)) or widths.get(("*", model)) or fallback_widths(panel.horizon)
            mean = rows[-1]
            columns["series_id"].append(np.full(len(mean), one.key, dtype=object))
            columns["date"].append(dates.to_numpy())
            columns["mean"].append(np.maximum(mean, floor))
            for level in LEVELS:
                below, above = width.below[level] * fit.scale, width.above[level] * fit.scale
                columns[f"lower_{round(level * 100)}"].append(np.maximum(mean - below, floor))
                columns[f"upper_{round(level * 100)}"].append(np.maximum(mean + above, floor))
            columns["model"].append(np.full(len(mean), model, dtype=object))
            columns["selected"].append(np.full(len(mean), model == chosen))
    frame = pd.DataFrame({name: np.concatenate(parts) for name, parts in columns.items()})
    frame["series_id"] = frame["series_id"].astype(str)
    frame["model"] = frame["model"].astype(str)
    return frame, chosen_models


def _calibrate_all(panel: Panel, fits: list[LocalFit]) -> dict[tuple[str, str], Widths]:
    """Interval widths per (series kind, model) and per model over all kinds ("*")."""
    pools: dict[tuple[str, str], list[np.ndarray]] = {}
    for one, fit in zip(panel.series, fits, strict=True):
        if len(fit.origins) < 2:
            continue
        for model in fit.forecasts:
            errors = backtest_errors(one.y, fit, model)
            pools.setdefault((fit.kind, model), []).append(errors)
            pools.setdefault(("*", model), []).append(errors)
    widths = {}
    for key, pooled in pools.items():
        calibrated = calibrate(pooled, panel.horizon)
        if calibrated is not None and sum(e.size for e in pooled) >= 20:
            widths[key] = calibrated
    return widths


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)
