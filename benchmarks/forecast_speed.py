"""Forecast refresh speed on a seeded synthetic panel of daily SKU series (the nightly refresh's shape).

N daily series of 730 points with weekly and yearly seasonality, promotions as a covariate known for the
horizon, about 20% intermittent items and a few short (new) items. Runs the full refresh
(`forecast_with_report`, horizon 28, future promotions) and, as a baseline measured in the same run,
seasonal naive over the same panel. Writes benchmarks/results/forecast_speed.json.

    .venv/bin/python benchmarks/forecast_speed.py [--series 2000] [--workers N]
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

import numpy as np
import pandas as pd

from infrastructure.forecasting import forecast_with_report

RESULTS = Path(__file__).parent / "results" / "forecast_speed.json"
LENGTH = 730
HORIZON = 28
SEASON = 7
TARGET_SECONDS_2000 = 300.0
INTERMITTENT_SHARE = 0.2
SHORT_SHARE = 0.02


def synthetic_panel(series: int, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history, future) frames: series_id, date, y, promo; future holds promo for the horizon."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=LENGTH + HORIZON, freq="D")
    t = np.arange(LENGTH + HORIZON)
    histories, futures = [], []
    for i in range(series):
        promo = (rng.random(len(t)) < 0.06).astype(float)
        promo = np.maximum(promo, np.roll(promo, 1))  # promotions last about two days
        y = _demand(rng, t, promo, intermittent=rng.random() < INTERMITTENT_SHARE)
        start = 0 if rng.random() > SHORT_SHARE else LENGTH - int(rng.integers(10, 60))
        key = f"SKU{i:05d}"
        histories.append(
            pd.DataFrame(
                {"series_id": key, "date": dates[start:LENGTH], "y": y[start:LENGTH], "promo": promo[start:LENGTH]}
            )
        )
        futures.append(pd.DataFrame({"series_id": key, "date": dates[LENGTH:], "promo": promo[LENGTH:]}))
    return pd.concat(histories, ignore_index=True), pd.concat(futures, ignore_index=True)


def _demand(rng: np.random.Generator, t: np.ndarray, promo: np.ndarray, intermittent: bool) -> np.ndarray:
    level = float(rng.lognormal(1.0 if intermittent else 3.0, 0.8))
    weekly = 1 + rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * t / 7 + rng.uniform(0, 2 * np.pi))
    yearly = 1 + rng.uniform(0.0, 0.4) * np.sin(2 * np.pi * t / 365.25 + rng.uniform(0, 2 * np.pi))
    trend = 1 + rng.normal(0, 0.0004) * t
    lift = 1 + promo * rng.uniform(0.3, 1.5)
    rate = np.maximum(level * weekly * yearly * trend * lift, 0.01)
    if intermittent:
        rate = rate * (rng.random(len(t)) < rng.uniform(0.1, 0.5))
    return rng.poisson(rate).astype(float)


def seasonal_naive_seconds(history: pd.DataFrame) -> float:
    """The cheapest sensible refresh: repeat each series' last week, with the same grouping overhead."""
    started = time.perf_counter()
    parts = []
    for key, rows in history.groupby("series_id", sort=True):
        y = rows["y"].to_numpy()
        last = y[-SEASON:] if len(y) >= SEASON else np.full(SEASON, y[-1])
        dates = pd.date_range(rows["date"].iloc[-1], periods=HORIZON + 1, freq="D")[1:]
        parts.append(pd.DataFrame({"series_id": key, "date": dates, "mean": np.resize(last, HORIZON)}))
    pd.concat(parts, ignore_index=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=None, help="engine worker processes (default min(2, CPUs))")
    args = parser.parse_args()
    history, future = synthetic_panel(args.series)
    started = time.perf_counter()
    report = forecast_with_report(history, HORIZON, future=future, progress=_progress, workers=args.workers)
    total = time.perf_counter() - started
    baseline = seasonal_naive_seconds(history)
    result: dict[str, Any] = {
        "series": args.series,
        "points": len(history),
        "horizon": HORIZON,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "total_seconds": round(total, 2),
        "series_per_second": round(args.series / total, 2),
        "stage_seconds": {k: round(float(v), 2) for k, v in report.timings.items()},
        "baseline_seasonal_naive_seconds": round(baseline, 2),
        "ratio_to_seasonal_naive": round(total / baseline, 1),
        "models_chosen": report.series["model"].value_counts().to_dict(),
        "kinds": report.series["kind"].value_counts().to_dict(),
        "target_seconds_for_2000": TARGET_SECONDS_2000,
        "meets_target": args.series < 2000 or total <= TARGET_SECONDS_2000,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr)


if __name__ == "__main__":
    main()
