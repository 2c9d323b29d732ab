"""Forecast refresh end to end: N SKUs with 730 days of sales in PostgreSQL, refreshed by real worker processes
(the nightly job's path: refresh job -> batch jobs over Dramatiq -> history query -> engine -> publish ->
reorder check). Reports wall time, series/s and where the time went (summed from the batch jobs' own
timings), next to a seasonal-naive pass over the same history measured in the same run.

    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python benchmarks/forecast_refresh.py [--skus 2000] [--workers 2]

Without REDIS_URL one in-process worker runs the batches (one core). Uses a scratch database on
--admin-url (default postgresql://postgres@127.0.0.1:5432/postgres) and drops it afterwards. Output: JSON on
stdout and in benchmarks/results/forecast_refresh.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.forecast_speed import LENGTH, seasonal_naive_seconds, synthetic_panel  # noqa: E402
from benchmarks.intake import drop_database, scratch_database  # noqa: E402
from domain.base import Actor, Meta  # noqa: E402
from infrastructure.bootstrap import bootstrap  # noqa: E402
from infrastructure.forecasting import runs, store  # noqa: E402
from infrastructure.settings import Settings  # noqa: E402

META = Meta(actor=Actor("bench", "admin"), correlation_id="bench")
RESULTS = ROOT / "benchmarks" / "results" / "forecast_refresh.json"


def seed(url: str, skus: int) -> tuple[list[str], float]:
    """Catalogue through the application, sales history by COPY (as an ERP import would land). Returns the
    SKUs and the seasonal-naive baseline seconds over the same history."""
    history, _ = synthetic_panel(skus)
    end = datetime.now(UTC).date() - timedelta(days=1)
    shift = end - history["date"].max().date()
    history["date"] = history["date"] + timedelta(days=shift.days)
    baseline = seasonal_naive_seconds(history)
    container = bootstrap(Settings(database_url=url))
    app = container.app
    app.put_warehouse("W1", "Bench", "eu", META)
    names = sorted(history["series_id"].unique())
    for sku in names:
        app.put_product(sku, sku, "bench", Decimal("5.00"), "EUR", 7, META)
    container.close()
    buffer = io.StringIO()
    sold = history[history["y"] > 0]
    for row in sold.itertuples(index=False):
        buffer.write(
            f"{row.series_id}\tW1\terp\t{row.date.date()}\t{int(row.y)}\t{row.y * 5:.2f}\t{bool(row.promo)}\t0\n"
        )
    with (
        psycopg.connect(url) as conn,
        conn.cursor() as cur,
        cur.copy(
            "COPY sales_imported (sku, warehouse, channel, day, units, revenue, promo, import_id) FROM STDIN"
        ) as copy,
    ):
        copy.write(buffer.getvalue())
    return names, baseline


def start(url: str, workers: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "DATABASE_URL": url, "SHOPOPS_WORKER_THREADS": "1", "SHOPOPS_FORECAST_REFRESH_AT": ""}
    commands = [[sys.executable, "-m", "cli", "projections"]]
    if os.environ.get("REDIS_URL"):
        commands += [[sys.executable, "-m", "workers", "relay"]]
        commands += [[sys.executable, "-m", "workers", "worker"] for _ in range(workers)]
    else:
        commands += [[sys.executable, "-m", "workers", "inprocess"]]
    return [subprocess.Popen(c, cwd=ROOT, env=env, stdout=subprocess.DEVNULL) for c in commands]


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = scratch_database(args.admin_url)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        started = time.perf_counter()
        skus, naive_seconds = seed(url, args.skus)
        seed_seconds = time.perf_counter() - started
        processes = start(url, args.workers)
        with ConnectionPool(url, min_size=1, max_size=2) as pool:
            while len(store.all_skus(pool)) < len(skus):  # the catalogue read model has every SKU
                time.sleep(0.5)
            started = time.perf_counter()
            job_id = runs.request_refresh(pool, None, "bench")
            status = runs.refresh_run(pool, job_id) or {}
            while status.get("status") not in ("done", "failed"):
                time.sleep(1.0)
                status = runs.refresh_run(pool, job_id) or {}
                print(f"  {status['batches_done']}/{status['batches']} batches", file=sys.stderr)
            wall = time.perf_counter() - started
            with pool.connection() as conn:
                results = [r[0] for r in conn.execute("SELECT result FROM jobs WHERE kind = 'forecast_batch'")]
                models: dict[str, int] = dict(
                    conn.execute("SELECT model, count(*) FROM forecasts GROUP BY model").fetchall()
                )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        drop_database(args.admin_url, url)
    stages: dict[str, float] = {}
    for result in results:
        for stage, seconds in (result or {}).get("seconds", {}).items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    return {
        "benchmark": "forecast_refresh",
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "skus": len(skus),
        "days": LENGTH,
        "broker": "redis" if os.environ.get("REDIS_URL") else "in-process",
        "worker_processes": args.workers if os.environ.get("REDIS_URL") else 1,
        "status": status,
        "seed_seconds": round(seed_seconds, 1),
        "refresh_seconds": round(wall, 1),
        "series_per_second": round(status["series"] / wall, 2) if wall else None,
        "batch_stage_seconds_summed": {k: round(v, 1) for k, v in stages.items()},
        "models": models,
        "baseline_seasonal_naive_seconds": round(naive_seconds, 2),
        "ratio_refresh_to_baseline": round(wall / naive_seconds, 1) if naive_seconds else None,
        "target_seconds_for_2000": 300,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skus", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (with REDIS_URL)")
    parser.add_argument(
        "--admin-url", default=os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    report = run(parser.parse_args())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
