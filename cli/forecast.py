"""`shopops forecast predict|evaluate` (the engine on CSV files, http-api.md "Operating it") and `refresh`.

Bad input is a usage error: one line on stderr, exit code 2, no traceback. Progress goes to stderr so the
evaluate report on stdout stays machine-readable.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.context import container
from domain.base import DomainError
from infrastructure.forecasting import runs

if TYPE_CHECKING:
    import pandas as pd

PROGRESS_EVERY = 2.0  # seconds between progress lines


class ForecastUsageError(click.ClickException):
    """An input the forecaster cannot use; exits with 2 like click's own usage errors."""

    exit_code = 2


@click.group()
def forecast() -> None:
    """Demand forecasts from a history CSV (series_id,date,y[,covariates...])."""


@forecast.command()
@click.option("--history", "history_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--horizon", required=True, type=int, help="Periods to forecast past each series' last date.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option(
    "--future",
    "future_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Covariates (same columns as the history's extras) for the forecast dates.",
)
@click.option("--freq", help="pandas frequency alias (D, W-SUN, MS...); inferred when omitted.")
@click.option("--season", type=int, help="Seasonal period; default from the frequency (7 daily, 52 weekly...).")
@click.option("--workers", type=int, help="Processes for the per-series models (default min(2, CPUs)).")
def predict(
    history_path: Path,
    horizon: int,
    out_path: Path,
    future_path: Path | None,
    freq: str | None,
    season: int | None,
    workers: int | None,
) -> None:
    """Forecast every series of the history file; writes series_id,date,mean,lower/upper 80/95,model."""
    # the engine (pandas, statsmodels, xgboost) loads only for the command that runs it: `shopops` starts fast
    from infrastructure.forecasting.engine import forecast as run_forecast
    from infrastructure.forecasting.panel import ForecastInputError

    history = _read_csv(history_path, "--history")
    future = _read_csv(future_path, "--future") if future_path is not None else None
    try:
        result = run_forecast(history, horizon, future, freq, season, _progress(), workers)
    except ForecastInputError as error:
        raise ForecastUsageError(str(error)) from error
    _write_forecasts(result, out_path)
    click.echo(f"wrote {len(result)} rows for {result['series_id'].nunique()} series to {out_path}", err=True)


@forecast.command()
@click.option("--history", "history_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--horizon", required=True, type=int, help="Periods per backtest window.")
@click.option("--freq", help="pandas frequency alias (D, W-SUN, MS...); inferred when omitted.")
@click.option("--season", type=int, help="Seasonal period; default from the frequency.")
@click.option("--origins", default=3, show_default=True, type=int, help="Rolling evaluation origins.")
@click.option("--workers", type=int, help="Processes for the per-series models (default min(2, CPUs)).")
def evaluate(
    history_path: Path,
    horizon: int,
    freq: str | None,
    season: int | None,
    origins: int,
    workers: int | None,
) -> None:
    """Rolling-origin backtest against seasonal naive, ETS and ARIMA; JSON report on stdout."""
    from infrastructure.forecasting.evaluation import evaluate as run_evaluate
    from infrastructure.forecasting.panel import ForecastInputError

    history = _read_csv(history_path, "--history")
    try:
        report = run_evaluate(history, horizon, freq, season, origins, _progress(), workers=workers)
    except ForecastInputError as error:
        raise ForecastUsageError(str(error)) from error
    click.echo(json.dumps(report, indent=2))


def _read_csv(path: Path, option: str) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_csv(path)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
        raise ForecastUsageError(f"{option}: cannot read {path}: {reason}") from error


def _write_forecasts(result: pd.DataFrame, path: Path) -> None:
    import pandas as pd

    out = result.copy()
    dates = pd.DatetimeIndex(out["date"])
    steps = dates.to_series().groupby(out["series_id"].to_numpy()).diff().dropna()
    whole_days = bool((dates == dates.normalize()).all())
    if whole_days and (steps.empty or steps.min() >= pd.Timedelta(days=1)):
        out["date"] = dates.strftime("%Y-%m-%d")
    try:
        out.to_csv(path, index=False)
    except OSError as error:
        raise ForecastUsageError(f"--out: cannot write {path}: {error.strerror or error}") from error


def _progress() -> Callable[[str], None]:
    """Progress lines on stderr, at most one every PROGRESS_EVERY seconds (plus the last word)."""
    last = [0.0]

    def say(message: str) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY or "done" in message or "scored" in message:
            last[0] = now
            print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    return say


@forecast.command("refresh")
@click.option("--sku", "skus", multiple=True, help="Only these SKUs (default: the whole catalogue).")
@click.option("--wait", is_flag=True, help="Wait until every batch is done.")
@click.option("--timeout", default=3600.0, show_default=True, help="Seconds to wait at most.")
def refresh(skus: tuple[str, ...], wait: bool, timeout: float) -> None:
    """Ask the workers to refresh forecasts now (the same as POST /api/v1/forecasts/refresh)."""
    with container() as c:
        try:
            job_id = runs.request_refresh(c.pool, list(skus) or None, "cli")
        except DomainError as error:
            raise ForecastUsageError(str(error)) from None
        click.echo(f"refresh job {job_id} requested")
        deadline = time.monotonic() + timeout
        while wait:
            status = runs.refresh_run(c.pool, job_id) or {}
            click.echo(f"  {status.get('status')}: {status.get('batches_done')}/{status.get('batches')}", err=True)
            if status.get("status") == "failed":
                raise click.ClickException(f"refresh {job_id} failed: {status}")
            if status.get("status") == "done":
                break
            if time.monotonic() > deadline:
                raise click.ClickException(f"refresh {job_id} not finished after {timeout:.0f} s")
            time.sleep(2.0)
