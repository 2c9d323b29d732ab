"""Speed of `simulate`: N seeded synthetic series × D days, static and forecast policies, on this machine.

Baseline in the same run: the static policy alone (no forecaster), so the engine's share is visible. Reports
wall and CPU seconds, the refreshes' wall time and the engine's own seconds (summed over the processes that
answer refreshes side by side), and the load average (the machine may be shared). With --days below 365 it
extrapolates to 365 days: the walk scaled by days, the refreshes' wall time per refresh times 53.
Writes benchmarks/results/simulate_speed.json.

    .venv/bin/python benchmarks/simulate_speed.py [--series 200] [--days 365] [--warmup 365] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

# As `shopops simulate` does: XGBoost's OpenMP waiters sleep instead of spinning (set before it loads).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from synthetic_retail import synthetic_retail

from application.simulation.refresh import refresh_days, refresh_request
from application.simulation.scenario import SimulationSettings
from application.simulation.simulate import simulate
from infrastructure.forecasting.simulation_forecaster import EngineForecaster
from infrastructure.simulation.history import load_scenario

RESULTS = Path(__file__).parent / "results" / "simulate_speed.json"
TARGET_SECONDS = 600.0


def timed(run: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def sequential_refreshes(scenario: Any, settings: SimulationSettings, count: int) -> dict[str, Any]:
    """The baseline of the same run: the first `count` refreshes one after another, each one panel call with
    the engine's own pool of fitting processes (how every refresh ran before they were answered side by side)."""
    if count < 1:
        return {}
    engine = EngineForecaster()
    started = time.perf_counter()
    for t in refresh_days(scenario, settings)[:count]:
        request = refresh_request(scenario, settings, t)
        engine.forecast(request.histories, request.last_day, request.horizon)
    wall = time.perf_counter() - started
    return {"sequential_refreshes": count, "sequential_wall_seconds_per_refresh": round(wall / count, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--warmup", type=int, default=365)
    parser.add_argument(
        "--workers", type=int, help="processes answering refreshes (default: the engine's, min(2, CPUs))"
    )
    parser.add_argument(
        "--sequential",
        type=int,
        default=0,
        help="also time this many refreshes the old way (one after another, each with the engine's own pool)",
    )
    args = parser.parse_args()
    history, initial = synthetic_retail(args.series, args.days + args.warmup, seed=11)
    scenario = load_scenario(history, args.days, initial.astype(str))
    settings = SimulationSettings()
    load_before = os.getloadavg()
    _, static_wall, static_cpu = timed(lambda: simulate(scenario, settings, ["static"], None))
    engine = EngineForecaster(args.workers, progress=lambda m: print(m, file=sys.stderr, flush=True))
    _, both_wall, both_cpu = timed(lambda: simulate(scenario, settings, ["static", "forecast"], engine))
    sequential = sequential_refreshes(scenario, settings, args.sequential)
    report = {
        **sequential,
        "series": args.series,
        "days": args.days,
        "warmup_days": args.warmup,
        "policies": ["static", "forecast"],
        "seconds": round(both_wall, 1),
        "cpu_seconds_main_process": round(both_cpu, 1),
        "engine_calls": engine.calls,
        "processes": engine.workers,
        "refresh_wall_seconds": round(engine.wall_seconds, 1),
        "refresh_wall_seconds_per_refresh": round(engine.wall_seconds / max(engine.calls, 1), 2),
        "engine_seconds": round(engine.seconds, 1),
        "engine_seconds_per_series_call": round(engine.seconds / max(engine.calls * args.series, 1), 4),
        # With --days below 365: the walk scaled by days, and 53 weekly refreshes at the measured wall time each.
        "extrapolated_365_days_seconds": round(
            (both_wall - engine.wall_seconds) * 365 / args.days
            + engine.wall_seconds / max(engine.calls, 1) * len(range(0, 365, 7)),
            1,
        ),
        "baseline_static_only_seconds": round(static_wall, 2),
        "baseline_static_only_cpu_seconds": round(static_cpu, 2),
        "target_seconds": TARGET_SECONDS,
        "met": both_wall <= TARGET_SECONDS if args.days >= 365 else None,
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
