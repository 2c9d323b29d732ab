"""Fault-test harness: real shopops processes (projections, relay, worker, API) on loopback, started, killed
with SIGKILL and restarted by the tests themselves; Redis on a dedicated logical database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")

COMMANDS = {
    "projections": [sys.executable, "-m", "cli", "projections"],
    "relay": [sys.executable, "-m", "workers", "relay"],
    "worker": [sys.executable, "-m", "workers", "worker"],
}


class Stack:
    """A group of shopops processes sharing one database and one Redis."""

    def __init__(self, database_url: str, redis_url: str | None, logs: Path) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SHOPOPS_FAULT_INJECTION": "1",
            "SHOPOPS_RELAY_SWEEP_SECONDS": "1",
            "SHOPOPS_RELAY_STALE_SECONDS": "3",
            "SHOPOPS_JOB_LEASE_SECONDS": "3",
            "PYTHONUNBUFFERED": "1",
            # small pools: several processes share the test server's connection limit
            "SHOPOPS_POOL_SIZE": "3",
            "SHOPOPS_POOL_MAX_OVERFLOW": "4",
            "SHOPOPS_WORKER_THREADS": "3",
        }
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        else:
            self.env.pop("REDIS_URL", None)
        self.logs = logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(COMMANDS[name], cwd=ROOT, env=self.env, stdout=log, stderr=log)

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def alive(self, name: str) -> bool:
        return name in self.procs and self.procs[name].poll() is None

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    def log_tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in self.logs.glob("*.log"))


@pytest.fixture
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as error:  # fail, never skip
        pytest.fail(f"Redis is unreachable at {REDIS_URL}: {error}", pytrace=False)
    client.flushdb()
    return REDIS_URL


@pytest.fixture
def stack(clean_db: str, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    s = Stack(clean_db, redis_url, tmp_path)
    yield s
    s.stop_all()
