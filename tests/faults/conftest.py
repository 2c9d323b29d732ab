"""Fault-test harness: real shopops processes (projections, relay, worker, API) on loopback, started, killed
with SIGKILL and restarted by the tests themselves; Redis on a dedicated logical database; a private
PostgreSQL server (pgserver's binaries) for the tests that stop the database itself."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")

COMMANDS = {
    "projections": [sys.executable, "-m", "cli", "projections"],
    "relay": [sys.executable, "-m", "workers", "relay"],
    "worker": [sys.executable, "-m", "workers", "worker"],
    "api": [sys.executable, "-m", "api"],  # Stack.start adds `--port`
}


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
        self.api_port = free_port()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self, name: str) -> None:
        argv = COMMANDS[name] + (["--port", str(self.api_port)] if name == "api" else [])
        log = (self.logs / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=log)

    def pid(self, name: str) -> int:
        return self.procs[name].pid

    def api_answers(self) -> bool:
        try:
            return httpx.get(f"{self.api_url}/health/live", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def wait_for_api(self, timeout: float = 120) -> None:  # a loaded 2-core machine starts it slowly
        wait_until(self.api_answers, timeout, "the API to answer /health/live", self.log_tail, poll=0.1)

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


class PrivatePostgres:
    """A PostgreSQL server of the test's own (pgserver's binaries, a fresh data directory, a loopback port), so
    a test can stop it with `pg_ctl stop -m immediate` without touching the server everyone else uses."""

    def __init__(self, root: Path) -> None:
        package = importlib.util.find_spec("pgserver")  # the binaries `shopops up` uses for its embedded default
        assert package, "pgserver is required for the PostgreSQL fault tests"
        assert package.origin, "pgserver is installed without files"
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        # initdb and postgres refuse to run as root: then they run as the unprivileged `nobody`, who may not
        # reach a checkout under a private directory (mktemp -d is 0700), so the binaries are copied beside it
        self.user = "nobody" if os.geteuid() == 0 else None
        package_dir = Path(package.origin).parent
        if self.user:  # the binaries find their libraries at $ORIGIN/../../../pgserver.libs: keep that layout
            site = root / "site"
            shutil.copytree(package_dir / "pginstall", site / "pgserver" / "pginstall", symlinks=True)
            if (package_dir.parent / "pgserver.libs").is_dir():
                shutil.copytree(package_dir.parent / "pgserver.libs", site / "pgserver.libs", symlinks=True)
            package_dir = site / "pgserver"
        self.bin = package_dir / "pginstall" / "bin"

    def _run(self, tool: str, *args: str) -> None:
        argv = [str(self.bin / tool), *args]
        subprocess.run(argv, check=True, user=self.user, cwd=self.root, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=utf8")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n")
            conf.write("max_connections = 100\n")

    def start(self) -> None:
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def log_tail(self) -> str:
        log = self.root / "server.log"
        return f"--- postgres\n{log.read_text()[-3000:]}" if log.exists() else ""


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A running private server with an empty `shopops` database; stopped and deleted afterwards."""
    root = Path(tempfile.mkdtemp(prefix="shopops-pg-"))  # not under pytest's 0700 tmp: `nobody` must reach it
    root.chmod(0o755)
    server = PrivatePostgres(root)
    if server.user:
        shutil.chown(root, user=server.user)
    try:
        server.init()
        server.start()
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE shopops")
        yield server
    finally:
        if server.running():
            server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
