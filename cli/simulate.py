"""`shopops simulate`: replay a daily history through the static and forecast policies (http-api.md).

Writes DIR/report.json and DIR/report.html; progress goes to stderr. Bad input is a usage error: one line
on stderr, exit code 2, nothing written.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from application.simulation.scenario import POLICIES
from infrastructure.settings import default_environment

PROGRESS_EVERY = 2.0  # seconds between progress lines


class SimulationUsageError(click.ClickException):
    """An input the simulation cannot use; exits with 2 like click's own usage errors."""

    exit_code = 2


@click.command()
@click.option("--history", "history_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--days", type=int, help="Simulated days at the end of the history (default 365; earlier days warm up).")
@click.option("--lead-time", "lead_time", default=7, show_default=True, type=int, help="Days from order to receipt.")
@click.option("--policies", default="static,forecast", show_default=True, help="Comma-separated policies to run.")
@click.option("--out", "out_dir", default="simulation", show_default=True, type=click.Path(path_type=Path))
@click.option(
    "--initial",
    "initial_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="series_id,on_hand,unit_cost: opening stock and unit cost per series (defaults: 30 days of cover, 1).",
)
def simulate(
    history_path: Path, days: int | None, lead_time: int, policies: str, out_dir: Path, initial_path: Path | None
) -> None:
    """Replay daily demand (series_id,date,y) through each policy's reorder, allocation and clearance rules."""
    # XGBoost's OpenMP threads spin while they wait; on a busy machine that starves the refresh (measured:
    # several times slower wall time). Sleeping waiters cost little when the cores are free. Set before the
    # engine loads; an explicit setting wins.
    default_environment("OMP_WAIT_POLICY", "PASSIVE")
    # pandas, plotly and the engine load only when a simulation runs (`shopops --help` stays fast).
    from application.simulation.scenario import SimulationSettings
    from application.simulation.simulate import simulate as run
    from domain.base import DomainError
    from infrastructure.forecasting.panel import ForecastInputError
    from infrastructure.forecasting.simulation_forecaster import EngineForecaster
    from infrastructure.simulation.history import SimulationInputError, load_scenario, read_csv
    from infrastructure.simulation.html import render

    say = _progress()
    names = [name.strip() for name in policies.split(",") if name.strip()]
    try:
        _check_policies(names)
        history = read_csv(history_path, "--history")
        initial = read_csv(initial_path, "--initial", text=True) if initial_path is not None else None
        scenario = load_scenario(history, days, initial)
        settings = SimulationSettings(lead_time_days=lead_time)
        say(f"{len(scenario.series)} series, {scenario.window} days after {scenario.warmup} days of warm-up")
        result = run(scenario, settings, names, EngineForecaster(progress=say), say)
    except (SimulationInputError, DomainError, ForecastInputError) as error:
        raise SimulationUsageError(str(error).splitlines()[0]) from error
    _write(out_dir, result.report, render(result.report))
    say(f"wrote {out_dir / 'report.json'} and {out_dir / 'report.html'}", force=True)


def _check_policies(names: list[str]) -> None:
    unknown = [name for name in names if name not in POLICIES]
    if unknown or not names:
        shown = ", ".join(unknown) or "(none)"
        raise SimulationUsageError(f"--policies: unknown policy {shown}; choose from {', '.join(POLICIES)}")


def _write(out_dir: Path, report: dict[str, Any], page: str) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "report.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        (out_dir / "report.html").write_text(page, encoding="utf-8")
    except OSError as error:
        raise SimulationUsageError(f"--out: cannot write to {out_dir}: {error.strerror or error}") from error


class _Progress:
    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, message: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= PROGRESS_EVERY:
            self.last = now
            print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _progress() -> _Progress:
    return _Progress()
