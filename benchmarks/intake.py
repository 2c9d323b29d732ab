"""Order intake benchmark: N concurrent HTTP clients placing orders through a real shopops stack, next to a
raw-SQL baseline of the same rows measured in the same run. With --dispatch, relay and worker run too and
the time from "placed" (201) to "allocated" (dispatch job done) is reported.

Usage: python benchmarks/intake.py [--clients 8] [--orders 2000] [--dispatch] [--admin-url URL]
Output: JSON on stdout and in benchmarks/results/intake-<timestamp>.json. Bounded: stops after --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from bisect import bisect_left
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain.base import Actor, Meta  # noqa: E402
from infrastructure.bootstrap import bootstrap  # noqa: E402
from infrastructure.eventstore.migrate import migrate  # noqa: E402
from infrastructure.identity.users import add_user  # noqa: E402
from infrastructure.readmodels.tracking import projection_positions  # noqa: E402
from infrastructure.settings import Settings  # noqa: E402

SKUS = [f"BENCH-{i:02d}" for i in range(10)]
META = Meta(actor=Actor("bench", "admin"), correlation_id="bench")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2) if ordered else 0.0


def scratch_database(admin_url: str) -> str:
    name = f"shopops_bench_{uuid.uuid4().hex[:8]}"
    url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    migrate(url)
    return url


def drop_database(admin_url: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(url: str) -> None:
    container = bootstrap(Settings(database_url=url))
    app = container.app
    app.put_warehouse("W1", "Bench", "eu", META)
    for sku in SKUS:
        app.put_product(sku, sku, "bench", Decimal("5.00"), "EUR", 3, META)
        app.receive_stock(sku, "W1", 1_000_000, "bench", META)
    container.close()
    add_user(url, "bench", "bench-password", ["admin"], [])


def start_stack(url: str, port: int, dispatch: bool) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "DATABASE_URL": url}
    commands = [
        [sys.executable, "-m", "api", "--port", str(port)],
        [sys.executable, "-m", "cli", "projections"],
    ]
    if dispatch:
        mode = ["relay", "worker"] if os.environ.get("REDIS_URL") else ["inprocess"]
        commands += [[sys.executable, "-m", "workers", m] for m in mode]
    return [subprocess.Popen(c, cwd=ROOT, env=env, stdout=subprocess.DEVNULL) for c in commands]


async def wait_healthy(base: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"{base}/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("API did not start")


async def http_phase(base: str, clients: int, orders: int, deadline: float) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        token = await client.post("/api/v1/auth/token", json={"username": "bench", "password": "bench-password"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(orders):
            queue.put_nowait(i)
        acks: list[tuple[float, int, str]] = []
        latencies: list[float] = []
        errors = 0

        async def one_client() -> None:
            nonlocal errors
            while not queue.empty() and time.monotonic() < deadline:
                i = queue.get_nowait()
                body = {
                    "channel": "bench",
                    "external_id": f"o{i}",
                    "customer": {"id": f"c{i % 97}", "name": "Bench Customer"},
                    "lines": [
                        {"sku": SKUS[i % 10], "quantity": 1, "unit_price": {"amount": "5.00", "currency": "EUR"}}
                    ],
                }
                started = time.monotonic()
                response = await client.post("/api/v1/orders", json=body, headers=headers)
                done = time.monotonic()
                if response.status_code != 201:
                    errors += 1
                    continue
                latencies.append(done - started)
                acks.append((done, response.json()["position"], response.json()["id"]))

        started = time.monotonic()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.monotonic() - started
    return {"elapsed": elapsed, "latencies": latencies, "acks": acks, "errors": errors}


async def follow_projections(url: str, target: int, timeout: float) -> list[tuple[float, int]]:  # noqa: ASYNC109
    """(time, min projection position) samples until the read models reach `target`."""
    conn = await asyncpg.connect(url)
    samples: list[tuple[float, int]] = []
    try:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            position = min((await projection_positions(conn)).values())
            samples.append((time.monotonic(), position))
            if position >= target:
                break
            await asyncio.sleep(0.02)
    finally:
        await conn.close()
    return samples


def projection_lags(acks: list[tuple[float, int, str]], samples: list[tuple[float, int]]) -> list[float]:
    positions = [p for _, p in samples]
    lags = []
    for ack_time, position, _ in acks:
        index = bisect_left(positions, position)
        if index < len(samples):
            lags.append(max(0.0, samples[index][0] - ack_time))
    return lags


async def dispatch_lags(url: str, acks: list[tuple[float, int, str]], timeout: float) -> dict[str, Any]:  # noqa: ASYNC109
    conn = await asyncpg.connect(url)
    try:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            open_jobs = await conn.fetchval("SELECT count(*) FROM jobs WHERE kind = 'dispatch' AND status <> 'done'")
            done = await conn.fetchval("SELECT count(*) FROM jobs WHERE kind = 'dispatch' AND status = 'done'")
            if open_jobs == 0 and done >= len(acks):
                break
            await asyncio.sleep(0.1)
        rows = await conn.fetch("SELECT key, extract(epoch FROM done_at) AS done_at FROM jobs WHERE kind = 'dispatch'")
        first = await conn.fetchval("SELECT extract(epoch FROM min(done_at)) FROM jobs WHERE kind = 'dispatch'")
        last = await conn.fetchval("SELECT extract(epoch FROM max(done_at)) FROM jobs WHERE kind = 'dispatch'")
    finally:
        await conn.close()
    # wall clock of each ack, from the monotonic clock offset measured now
    offset = time.time() - time.monotonic()
    acked = {oid: t + offset for t, _, oid in acks}
    lags = [float(r["done_at"]) - acked[r["key"]] for r in rows if r["done_at"] and r["key"] in acked]
    span = float(last - first) if first and last and last > first else 0.0
    return {
        "allocated": len(lags),
        "allocations_per_s": round(len(lags) / span, 1) if span else None,
        "placed_to_allocated_p50_ms": pct(lags, 0.5),
        "placed_to_allocated_p99_ms": pct(lags, 0.99),
    }


async def raw_sql_phase(
    url: str, clients: int, orders: int, seconds: float | None = None, skus: list[str] = SKUS
) -> dict[str, Any]:
    """The same rows the application writes for a placement (1 event row after 2 reads: order exists?
    product price), in one transaction per order, straight through asyncpg: the ceiling to compare with.
    Stops after `orders`, or after `seconds` when given (benchmarks/system.py)."""
    pool = await asyncpg.create_pool(url, min_size=clients, max_size=clients)
    await pool.execute("CREATE TABLE IF NOT EXISTS bench_events (LIKE shopops_events INCLUDING ALL)")
    await pool.execute("CREATE SEQUENCE IF NOT EXISTS bench_seq")
    latencies: list[float] = []
    counter = iter(range(orders))
    deadline = time.monotonic() + seconds if seconds is not None else float("inf")

    async def one_client() -> None:
        for i in counter:
            if time.monotonic() >= deadline:
                return
            oid = uuid.uuid5(uuid.NAMESPACE_URL, f"raw:{i}")
            started = time.monotonic()
            async with pool.acquire() as conn, conn.transaction():
                await conn.fetchval("SELECT 1 FROM bench_events WHERE originator_id = $1", oid)
                await conn.fetchval("SELECT unit_price FROM product_catalog WHERE sku = $1", skus[i % len(skus)])
                await conn.execute(
                    "INSERT INTO bench_events VALUES ($1, 1, 'shopops.order.placed', $2, nextval('bench_seq'))",
                    oid,
                    json.dumps({"order": i, "pad": "x" * 600}).encode(),
                )
            latencies.append(time.monotonic() - started)

    started = time.monotonic()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    elapsed = time.monotonic() - started
    await pool.close()
    return {
        "orders": len(latencies),
        "orders_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(latencies, 0.5),
        "p99_ms": pct(latencies, 0.99),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = scratch_database(args.admin_url)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        seed(url)
        procs = start_stack(url, args.port, args.dispatch)
        base = f"http://127.0.0.1:{args.port}"
        await wait_healthy(base)
        await asyncio.sleep(1.0)
        result = await http_phase(base, args.clients, args.orders, time.monotonic() + args.seconds)
        acks = result["acks"]
        target = max((p for _, p, _ in acks), default=0)
        samples = await follow_projections(url, target, 120)
        lags = projection_lags(acks, samples)
        http = {
            "orders": len(acks),
            "errors": result["errors"],
            "orders_per_s": round(len(acks) / result["elapsed"], 1),
            "p50_ms": pct(result["latencies"], 0.5),
            "p99_ms": pct(result["latencies"], 0.99),
            "projection_lag_p50_ms": pct(lags, 0.5),
            "projection_lag_p99_ms": pct(lags, 0.99),
        }
        dispatch = await dispatch_lags(url, acks, 180) if args.dispatch else None
        raw = await raw_sql_phase(url, args.clients, len(acks) or args.orders)
        return {
            "benchmark": "order_intake",
            "at": datetime.now(UTC).isoformat(),
            "clients": args.clients,
            "http": http,
            "raw_sql": raw,
            "dispatch": dispatch,
            "ratio_http_to_raw_sql": round(http["orders_per_s"] / raw["orders_per_s"], 3),
        }
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        drop_database(args.admin_url, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=120, help="stop placing orders after this long")
    parser.add_argument("--port", type=int, default=8901)
    parser.add_argument("--dispatch", action="store_true", help="also run relay + worker and time allocation")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    report = asyncio.run(run(parser.parse_args()))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2)
    (out / f"intake-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
