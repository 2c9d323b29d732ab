"""Whole-system benchmark (issue 14): `shopops up` on real PostgreSQL and Redis, seeded over HTTP, measured the
way users run it. Everything below runs in ONE run, on one fresh database, so the ratios compare like with like:

1. closed loop: 8 clients place single-line orders for --seconds → max intake (orders/s, p50/p99);
2. the system drains (read models at the log's head, every dispatch job done): how long that takes;
3. the baseline: a raw-SQL insert of an equivalent row (2 reads + 1 insert, one transaction each) from the same
   8 clients into the same database for the same time → the ratio intake ÷ raw SQL;
4. open loop at half the closed-loop rate: latency measured from each request's scheduled send time;
5. open loop at --rate (150/s) for --open-seconds (60): latency, read-model lag (order visible in
   order_summary, and every read model at its position) and placed → allocated (dispatch job done).

CPU per order of every process of the group (and of PostgreSQL's backends) is measured for phases 1 and 5.
`--profile DIR` records py-spy stacks of each process during phase 1 (`benchmarks/profile_report.py DIR`
summarises them). JSON on stdout and in benchmarks/results/system-<timestamp>.json.

Usage: python benchmarks/system.py [--seconds 20] [--rate 150] [--open-seconds 60] [--api-workers N]
       [--admin-url URL] [--redis-url URL] [--profile DIR]
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
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
import psutil
import psycopg
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.intake import drop_database, pct, raw_sql_phase  # noqa: E402
from infrastructure.readmodels.tracking import projection_positions  # noqa: E402

SKUS = [f"SYS-{i:02d}" for i in range(20)]
WAREHOUSES = ["W1", "W2"]
PASSWORD = "bench-password"  # noqa: S105 - a throwaway user in a scratch database


# --- the system under test ------------------------------------------------------------------------------


def create_database(admin_url: str) -> str:
    name = f"shopops_sys_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def start_up(url: str, redis_url: str, port: int, extra_env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, **extra_env}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "up", "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=out
        )


def add_user(url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "cli", "user", "add", "bench", "--role", "admin"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        input=f"{PASSWORD}\n".encode(),
        check=True,
        capture_output=True,
    )


def processes(up: subprocess.Popen[bytes]) -> dict[str, list[psutil.Process]]:
    """The group's processes by part (api, projections, relay, worker, audit-chain) from their command lines."""
    parts: dict[str, list[psutil.Process]] = {}
    for child in psutil.Process(up.pid).children(recursive=True):
        try:
            argv = child.cmdline()
        except psutil.Error:
            continue
        if "-m" not in argv:
            name = "api"  # uvicorn's worker processes (multiprocessing spawn)
        else:
            rest = argv[argv.index("-m") + 1 :]
            name = rest[0] if rest[0] == "api" else (rest[1] if len(rest) > 1 else rest[0])
        name = {"chain": "audit-chain", "audit": "audit-chain"}.get(name, name)
        parts.setdefault(name, []).append(child)
    return parts


def postgres_processes(url: str) -> list[psutil.Process]:
    """The server processes working for this database (its backends) plus the shared writers (WAL writer,
    checkpointer, background writer), which other databases on a shared server also keep busy."""
    with psycopg.connect(url) as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE (datname = current_database() AND pid <> pg_backend_pid()) "
                "OR backend_type IN ('walwriter', 'checkpointer', 'background writer')"
            )
        ]
    found = []
    for pid in pids:
        try:
            found.append(psutil.Process(pid))
        except psutil.Error:
            continue
    return found


class CpuMeter:
    """CPU seconds used by each part of the group (and PostgreSQL) between start() and stop()."""

    def __init__(self, up: subprocess.Popen[bytes], url: str) -> None:
        self.up = up
        self.url = url
        self.before: dict[int, float] = {}

    def _sample(self) -> dict[str, dict[int, float]]:
        groups = {**processes(self.up), "postgres": postgres_processes(self.url)}
        sample: dict[str, dict[int, float]] = {}
        for name, procs in groups.items():
            for proc in procs:
                try:
                    times = proc.cpu_times()
                except psutil.Error:
                    continue
                sample.setdefault(name, {})[proc.pid] = times.user + times.system
        return sample

    def start(self) -> None:
        self.before = {pid: cpu for part in self._sample().values() for pid, cpu in part.items()}

    def stop(self, orders: int) -> dict[str, float]:
        """Milliseconds of CPU per order, by part."""
        used: dict[str, float] = {}
        for name, part in self._sample().items():
            used[name] = sum(cpu - self.before.get(pid, 0.0) for pid, cpu in part.items())
        per_order = {name: round(seconds * 1000 / max(orders, 1), 2) for name, seconds in sorted(used.items())}
        per_order["total"] = round(sum(v for k, v in per_order.items()), 2)
        return per_order


async def settle(meter: CpuMeter, timeout: float = 180) -> float:  # noqa: ASYNC109
    """Wait until the group is idle (start-up chores such as training the ticket classifier are done): under
    5% of a core for 3 s. Returns how long that took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        meter.start()
        await asyncio.sleep(3)
        used = meter.stop(1)
        if used["total"] - used.get("postgres", 0.0) < 150:  # ms of CPU in 3 s
            break
    return round(time.monotonic() - started, 1)


# --- HTTP -------------------------------------------------------------------------------------------------


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.session = aiohttp.ClientSession(
            base_url=base, connector=aiohttp.TCPConnector(limit=512), timeout=aiohttp.ClientTimeout(total=60)
        )
        self.headers: dict[str, str] = {}
        self.counter = 0

    async def close(self) -> None:
        await self.session.close()

    async def wait_healthy(self, timeout: float = 120) -> None:  # noqa: ASYNC109
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                async with self.session.get("/health/ready") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        raise RuntimeError("shopops up did not become ready")

    async def login(self) -> None:
        status, data = await self.call("POST", "/api/v1/auth/token", {"username": "bench", "password": PASSWORD}, True)
        if status != 200:
            raise RuntimeError(f"login failed: {status} {data}")
        self.headers = {"Authorization": f"Bearer {data['access_token']}"}

    async def call(self, method: str, path: str, body: Any = None, retry: bool = False) -> tuple[int, Any]:
        """One request; with `retry`, once more when the server had closed an idle kept-alive connection."""
        try:
            return await self._call(method, path, body)
        except aiohttp.ServerDisconnectedError:
            if not retry:
                raise
            return await self._call(method, path, body)

    async def _call(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        async with self.session.request(method, path, json=body, headers=self.headers) as response:
            data = await response.json(content_type=None) if response.content_length != 0 else None
            return response.status, data

    async def seed(self) -> None:
        """Warehouses, products and stock, over HTTP as a user would."""
        for code in WAREHOUSES:
            await self._ok("PUT", f"/api/v1/warehouses/{code}", {"name": code, "region": "eu"})
        for sku in SKUS:
            product = {"name": sku, "category": "bench", "unit_price": {"amount": "5.00", "currency": "EUR"}}
            await self._ok("PUT", f"/api/v1/products/{sku}", {**product, "lead_time_days": 3})
            for code in WAREHOUSES:
                receipt = {"quantity": 1_000_000, "reference": "bench"}
                await self._ok("POST", f"/api/v1/stock/{sku}/{code}/receipts", receipt)

    async def _ok(self, method: str, path: str, body: Any) -> Any:
        status, data = await self.call(method, path, body, retry=True)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {data}")
        return data

    async def place(self) -> tuple[int, dict[str, Any] | None]:
        """Place one single-line order; (0, None) when the request failed or timed out."""
        try:
            return await self._place()
        except (aiohttp.ClientError, TimeoutError):
            return 0, None

    async def _place(self) -> tuple[int, dict[str, Any] | None]:
        self.counter += 1
        i = self.counter
        body = {
            "channel": "bench",
            "external_id": f"o{i}-{uuid.uuid4().hex[:6]}",
            "customer": {"id": f"c{i % 997}", "name": "Bench Customer"},
            "lines": [{"sku": SKUS[i % len(SKUS)], "quantity": 1, "unit_price": {"amount": "5.00", "currency": "EUR"}}],
        }
        return await self.call("POST", "/api/v1/orders", body)


Ack = tuple[float, int, str]  # (monotonic time acknowledged, log position, order id)


async def closed_loop(client: Client, clients: int, seconds: float) -> dict[str, Any]:
    acks: list[Ack] = []
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def one() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            started = time.monotonic()
            status, data = await client.place()
            done = time.monotonic()
            if status != 201 or data is None:
                errors += 1
                continue
            latencies.append(done - started)
            acks.append((done, data["position"], data["id"]))

    started = time.monotonic()
    await asyncio.gather(*(one() for _ in range(clients)))
    elapsed = time.monotonic() - started
    return {
        "orders": len(acks),
        "errors": errors,
        "orders_per_s": round(len(acks) / elapsed, 1),
        "p50_ms": pct(latencies, 0.5),
        "p99_ms": pct(latencies, 0.99),
        "_acks": acks,
    }


async def open_loop(client: Client, rate: float, seconds: float) -> dict[str, Any]:
    """A fixed arrival rate: request i is due at start + i/rate whatever happened before; its latency counts
    from that due time (so a stalled server cannot hide behind a slowed client)."""
    acks: list[Ack] = []
    latencies: list[float] = []
    errors = 0
    tasks: list[asyncio.Task[None]] = []

    async def one(due: float) -> None:
        nonlocal errors
        status, data = await client.place()
        done = time.monotonic()
        if status != 201 or data is None:
            errors += 1
            return
        latencies.append(done - due)
        acks.append((done, data["position"], data["id"]))

    start = time.monotonic() + 0.1
    count = int(rate * seconds)
    for i in range(count):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    late = max(0.0, time.monotonic() - (start + seconds))
    return {
        "rate": rate,
        "seconds": seconds,
        "orders": len(acks),
        "errors": errors,
        "p50_ms": pct(latencies, 0.5),
        "p99_ms": pct(latencies, 0.99),
        "finished_late_s": round(late, 2),
        "_acks": acks,
    }


# --- following the read models and dispatch ----------------------------------------------------------------


class Follower:
    """Samples (time, position) of every read model every 20 ms while a phase runs."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.samples: list[tuple[float, int, int]] = []  # (time, min over read models, order_summary)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            while not self._stop.is_set():
                positions = await projection_positions(conn)
                self.samples.append((time.monotonic(), min(positions.values()), positions["order_summary"]))
                await asyncio.sleep(0.02)
        finally:
            await conn.close()

    async def stop(self) -> None:
        self._stop.set()
        if self._task:
            await self._task

    def lags(self, acks: list[Ack], column: int) -> list[float]:
        samples = sorted(self.samples, key=lambda s: s[column])  # positions only grow; sort guards equal times
        positions = [s[column] for s in samples]
        lags = []
        for ack_time, position, _ in acks:
            index = bisect_left(positions, position)
            if index < len(samples):
                lags.append(max(0.0, samples[index][0] - ack_time))
        return lags


async def drain(url: str, timeout: float) -> dict[str, Any]:  # noqa: ASYNC109
    """Wait until every read model is at the log's head and no dispatch job is open; how long it took."""
    conn = await asyncpg.connect(url)
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout:
            head = await conn.fetchval("SELECT coalesce(max(notification_id), 0) FROM shopops_events")
            behind = min((await projection_positions(conn)).values()) < head
            open_jobs = await conn.fetchval("SELECT count(*) FROM jobs WHERE kind = 'dispatch' AND status <> 'done'")
            if not behind and open_jobs == 0:
                return {"drained": True, "seconds": round(time.monotonic() - started, 2)}
            await asyncio.sleep(0.1)
        return {"drained": False, "seconds": round(time.monotonic() - started, 2)}
    finally:
        await conn.close()


async def allocation_lags(url: str, acks: list[Ack]) -> list[float]:
    conn = await asyncpg.connect(url)
    try:
        ids = [oid for _, _, oid in acks]
        rows = await conn.fetch(
            "SELECT key, extract(epoch FROM done_at) AS done_at FROM jobs WHERE kind = 'dispatch' AND key = ANY($1)",
            ids,
        )
    finally:
        await conn.close()
    offset = time.time() - time.monotonic()
    acked = {oid: t + offset for t, _, oid in acks}
    return [float(r["done_at"]) - acked[r["key"]] for r in rows if r["done_at"] is not None]


# --- profiling ----------------------------------------------------------------------------------------------


def start_profilers(up: subprocess.Popen[bytes], out: Path, seconds: float) -> list[subprocess.Popen[bytes]]:
    out.mkdir(parents=True, exist_ok=True)
    spies = []
    for name, procs in processes(up).items():
        for proc in procs:
            target = out / f"{name}-{proc.pid}.txt"
            argv = [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(proc.pid)]
            argv += ["--duration", str(int(seconds)), "--format", "raw", "--gil", "--nonblocking"]
            argv += ["--rate", "200", "--output", str(target)]
            spies.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return spies


# --- the run ----------------------------------------------------------------------------------------------


def public(phase: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in phase.items() if not k.startswith("_")}


async def measured(
    meter: CpuMeter, follower: Follower, phase: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    meter.start()
    await follower.start()
    result = await phase()
    cpu = meter.stop(result["orders"])
    await follower.stop()
    result["cpu_ms_per_order"] = cpu
    return result


def lag_figures(follower: Follower, acks: list[Ack]) -> dict[str, float]:
    visible = follower.lags(acks, 2)
    every = follower.lags(acks, 1)
    return {
        "order_visible_lag_p50_ms": pct(visible, 0.5),
        "order_visible_lag_p99_ms": pct(visible, 0.99),
        "all_read_models_lag_p50_ms": pct(every, 0.5),
        "all_read_models_lag_p99_ms": pct(every, 0.99),
        "all_read_models_lag_max_ms": pct(every, 1.0),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = create_database(args.admin_url)
    redis.Redis.from_url(args.redis_url).flushdb()
    log = Path(args.log or f"/tmp/shopops-system-{os.getpid()}.log")  # noqa: S108 - a throwaway log
    extra_env = dict(e.split("=", 1) for e in args.env)
    up = start_up(url, args.redis_url, args.port, extra_env, log)
    client = Client(f"http://127.0.0.1:{args.port}")
    report: dict[str, Any] = {"benchmark": "system", "at": datetime.now(UTC).isoformat(), "clients": args.clients}
    try:
        await client.wait_healthy()
        add_user(url)
        await client.login()
        await client.seed()
        for _ in range(50):  # warm-up
            await client.place()
        await drain(url, 120)
        meter, follower = CpuMeter(up, url), Follower(url)
        report["settled_after_s"] = await settle(meter)
        report["connections_idle"] = await connections(url)

        spies = start_profilers(up, Path(args.profile), args.seconds) if args.profile else []
        closed = await measured(meter, follower, lambda: closed_loop(client, args.clients, args.seconds))
        for spy in spies:
            spy.wait()
        report["connections_under_load"] = await connections(url)
        closed_drain = await drain(url, 600)
        report["closed_loop"] = {**public(closed), **lag_figures(follower, closed["_acks"]), "drain": closed_drain}

        report["raw_sql"] = await raw_sql_phase(url, args.clients, 10**9, args.seconds, SKUS)
        report["ratio_http_to_raw_sql"] = round(closed["orders_per_s"] / report["raw_sql"]["orders_per_s"], 3)
        progress(report)
        if args.closed_only:
            return report

        half = max(1.0, closed["orders_per_s"] / 2)
        half_run = await measured(meter, follower, lambda: open_loop(client, half, args.half_seconds))
        report["open_loop_half_rate"] = {**public(half_run), "drain": await drain(url, 600)}
        progress(report)

        fixed = await measured(meter, follower, lambda: open_loop(client, args.rate, args.open_seconds))
        fixed_drain = await drain(url, 600)
        allocated = await allocation_lags(url, fixed["_acks"])
        report["open_loop"] = {
            **public(fixed),
            **lag_figures(follower, fixed["_acks"]),
            "allocated": len(allocated),
            "placed_to_allocated_p50_ms": pct(allocated, 0.5),
            "placed_to_allocated_p99_ms": pct(allocated, 0.99),
            "drain": fixed_drain,
        }
        return report
    finally:
        await client.close()
        up.terminate()
        try:
            up.wait(30)
        except subprocess.TimeoutExpired:
            up.kill()
        drop_database(args.admin_url, url)


def progress(report: dict[str, Any]) -> None:
    print(json.dumps(report), file=sys.stderr, flush=True)


async def connections(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return count
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20, help="closed loop and raw-SQL duration")
    parser.add_argument("--half-seconds", type=float, default=20, help="open loop at half the closed-loop rate")
    parser.add_argument("--rate", type=float, default=150, help="fixed open-loop arrival rate (orders/s)")
    parser.add_argument("--open-seconds", type=float, default=60)
    parser.add_argument("--port", type=int, default=8911)
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for `shopops up` (repeatable)")
    parser.add_argument("--profile", help="record py-spy stacks of every process during the closed loop here")
    parser.add_argument("--closed-only", action="store_true", help="stop after the closed loop and raw SQL")
    parser.add_argument("--log", help="where `shopops up` writes its output")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"))
    report = asyncio.run(run(parser.parse_args()))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2)
    (out / f"system-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
