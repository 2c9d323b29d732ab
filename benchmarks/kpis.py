"""Benchmark: the KPI object over 1 million order lines (a year of orders, three lines each, with allocations,
daily stock snapshots and tickets) in a scratch database, next to a baseline measured in the same run: a plain
count(*) of the same order lines. JSON on stdout. Target: the KPIs answer in under 1 s.

Usage: python benchmarks/kpis.py [--orders 333334] [--runs 3] [--admin-url URL] [--url FILLED_DB_URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.intake import drop_database, scratch_database  # noqa: E402
from domain.insight import period  # noqa: E402
from infrastructure.insight.kpis import PgKpiQueries  # noqa: E402

SKUS = 500
RESULTS = ROOT / "benchmarks" / "results" / "kpis.json"
START = "2025-01-01"
FILL = [
    "INSERT INTO product_catalog (sku, name, category, unit_price, currency, lead_time_days, version, position, "
    "updated_at) SELECT 'S' || s, 'S' || s, 'cat' || (s %% 12), 10, 'EUR', 5, 1, 0, now() "
    "FROM generate_series(0, %(skus)s - 1) s",
    # orders spread over a year; allocation within 0–30 h, shipment 2–74 h after placement; 1 in 20 cancelled
    "INSERT INTO order_summary (id, channel, external_id, status, customer_id, customer, currency, total, version, "
    "position, placed_at, updated_at, allocated_at, fully_allocated_at, shipped_at, first_shipped_at, cancelled_at, "
    "units, filled_24h) "
    "SELECT md5(i::text)::uuid, (ARRAY['web', 'amazon', 'ebay'])[1 + i %% 3], 'B' || i, 'shipped', 'c' || (i %% 5000), "
    "'{}', 'EUR', 60, 1, i, t.ts, t.ts, t.ts + (i * 7919 %% 108000) * interval '1 second', "
    "t.ts + (i * 7919 %% 108000) * interval '1 second', t.ts + (7200 + i * 104729 %% 259200) * interval '1 second', "
    "t.ts + (7200 + i * 104729 %% 259200) * interval '1 second', "
    "CASE WHEN i %% 20 = 0 THEN t.ts + interval '1 hour' END, 6, "
    "CASE WHEN i * 7919 %% 108000 <= 86400 THEN 6 ELSE 0 END "
    "FROM generate_series(1::bigint, %(orders)s::bigint) i, "
    "LATERAL (SELECT %(start)s::timestamptz + (i::float8 / %(orders)s) * interval '365 days' AS ts) t",
    "INSERT INTO order_summary_lines (order_id, line_no, sku, quantity, unit_price, shipped) "
    "SELECT md5(i::text)::uuid, j, 'S' || ((i * 3 + j) %% %(skus)s), 1 + (i + j) %% 3, 10, 1 + (i + j) %% 3 "
    "FROM generate_series(1::bigint, %(orders)s::bigint) i, generate_series(0, 2) j",
    "INSERT INTO order_summary_allocations (order_id, sku, warehouse, quantity, allocated_at) "
    "SELECT l.order_id, l.sku, 'W' || (hashtext(l.sku) & 1), l.quantity, o.allocated_at "
    "FROM order_summary_lines l JOIN order_summary o ON o.id = l.order_id",
    "INSERT INTO stock_daily (sku, warehouse, day, on_hand, value, received, shipped, cogs) "
    "SELECT 'S' || s, 'W' || w, %(start)s::date + 7 * k, 200 + (s * 13 + k) %% 300, "
    "(200 + (s * 13 + k) %% 300) * 4.5, 50, 40 + s %% 30, (40 + s %% 30) * 4.5 "
    "FROM generate_series(0, %(skus)s - 1) s, generate_series(0, 1) w, generate_series(0, 52) k",
    "INSERT INTO ticket_queue (id, status, category, priority, customer_id, channel, subject, opened_at, "
    "first_response_at, resolved_at, first_response_due, resolution_due, version, position, updated_at) "
    "SELECT md5('t' || i)::uuid, 'resolved', 'other', 'normal', 'c', 'email', 's', t.ts, "
    "t.ts + (i * 31 %% 40000) * interval '1 second', t.ts + (i * 97 %% 200000) * interval '1 second', "
    "t.ts + interval '8 hours', t.ts + interval '48 hours', 1, i, t.ts "
    "FROM generate_series(1, 20000) i, "
    "LATERAL (SELECT %(start)s::timestamptz + (i::float8 / 20000) * interval '365 days' AS ts) t",
]
BASELINE = (
    "SELECT count(*) FROM order_summary_lines l JOIN order_summary o ON o.id = l.order_id "
    "WHERE o.placed_at >= $1 AND o.placed_at < $2"
)


def fill(url: str, orders: int) -> float:
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in FILL:
            conn.execute(statement, {"orders": orders, "skus": SKUS, "start": START})  # type: ignore[arg-type]
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


async def measure(url: str, runs: int) -> dict[str, Any]:
    year = period(datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))
    db = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        lines = await db.fetchval(BASELINE, year.start, year.end)
        june = period(datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC))
        cases: dict[str, tuple[Any, dict[str, Any]]] = {
            "kpis_year_s": (year, {}),
            "kpis_month_s": (june, {}),
            "kpis_year_category_s": (year, {"category": "cat3"}),
            "kpis_year_warehouse_s": (year, {"warehouse": "W1"}),
        }
        seconds: dict[str, list[float]] = {"baseline_count_s": [], **{name: [] for name in cases}}
        for _ in range(runs):
            started = time.perf_counter()
            await db.fetchval(BASELINE, year.start, year.end)
            seconds["baseline_count_s"].append(time.perf_counter() - started)
            for name, (when, filters) in cases.items():
                started = time.perf_counter()
                figures = await PgKpiQueries(db, 60, 1.0).figures(when, filters)
                seconds[name].append(time.perf_counter() - started)
                if name == "kpis_year_s":
                    counted = figures["orders"]["count"]
    finally:
        await db.close()
    medians = {name: round(statistics.median(values), 4) for name, values in seconds.items()}
    return {
        "order_lines": lines,
        **medians,
        "kpis_year_vs_baseline": round(medians["kpis_year_s"] / medians["baseline_count_s"], 2),
        "orders_counted": counted,
        "under_1s": medians["kpis_year_s"] < 1.0,
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=333_334)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", help="measure an already filled database (kept) instead of a scratch one")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    if args.url:
        seconds, result = 0.0, asyncio.run(measure(args.url, args.runs))
    else:
        url = scratch_database(args.admin_url)
        try:
            seconds = fill(url, args.orders)
            result = asyncio.run(measure(url, args.runs))
        finally:
            if os.environ.get("KEEP_BENCH_DB"):
                print(f"kept {url}", file=sys.stderr)
            else:
                drop_database(args.admin_url, url)
    report = json.dumps({"benchmark": "kpis", "fill_s": round(seconds, 1), **result}, indent=2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report + "\n", encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
