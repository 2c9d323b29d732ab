"""The `shopops` command line as real processes: migrate, user add, rebuild, and `up` end to end (own and embedded
PostgreSQL), including a clean stop of the whole process group on Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
import pytest

from tests.conftest import ADMIN_URL, _url_for
from tests.waiting import wait_until

SHOPOPS = str(Path(sys.executable).with_name("shopops"))  # the console script of this environment
START_TIMEOUT = 120.0
STOP_TIMEOUT = 40.0


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["SHOPOPS_SECRET_KEY"] = "cli-test-secret-key-with-at-least-32-bytes"
    env.update(extra)
    return env


def shopops(*args: str, database_url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SHOPOPS, *args],
        input=stdin,
        env=_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def fresh_url() -> Iterator[str]:
    """The URL of a database that does not exist yet (`migrate` creates it); dropped afterwards."""
    dbname = f"shopops_cli_{uuid.uuid4().hex[:10]}"
    yield _url_for(dbname)
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture
def migrated_url(fresh_url: str) -> str:
    assert shopops("migrate", database_url=fresh_url).returncode == 0
    return fresh_url


class Up:
    """A `shopops up` process: output to files, its own session, stopped with SIGINT like Ctrl-C."""

    def __init__(self, workdir: Path, env: dict[str, str], *args: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.out, self.err = workdir / f"up-{self.port}.out", workdir / f"up-{self.port}.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen(
                [SHOPOPS, "up", "--port", str(self.port), *args],
                cwd=workdir,
                env=env,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )

    def logs(self) -> str:
        return f"--- stdout\n{self.out.read_text()}\n--- stderr (tail)\n{self.err.read_text()[-4000:]}"

    def _live(self) -> bool:
        if self.proc.poll() is not None:
            pytest.fail(f"`shopops up` exited with {self.proc.returncode}\n{self.logs()}")
        try:
            return httpx.get(f"{self.base}/health/live", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def wait_live(self, timeout: float = START_TIMEOUT) -> None:
        try:
            wait_until(self._live, timeout, "/health/live to answer", self.logs, poll=0.3)
        except AssertionError:
            self.kill()
            raise

    def _caught_up(self) -> bool:
        response = httpx.get(f"{self.base}/health/ready", timeout=5)
        return response.status_code == 200 and response.json()["projection_lag"] == 0

    def wait_caught_up(self, timeout: float = 60.0) -> None:
        wait_until(self._caught_up, timeout, "the read models to catch up", self.logs, poll=0.3)

    def stop(self) -> None:
        """Ctrl-C: the supervisor and every child must be gone, with exit status 0."""
        if self.proc.poll() is not None:
            return  # already failed and reported
        children = psutil.Process(self.proc.pid).children(recursive=True)
        assert children, "`shopops up` runs its parts as child processes"
        self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"`shopops up` did not stop within {STOP_TIMEOUT} s of SIGINT\n{self.logs()}")
        _gone, alive = psutil.wait_procs(children, timeout=5)
        assert not alive, f"children still running after stop: {alive}"
        assert code == 0, self.logs()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


def _token(base: str, username: str, password: str) -> str:
    response = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": password}, timeout=30)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _demo_login(up: Up) -> tuple[str, str]:
    found = re.search(r"username (\S+), password (\S+)", up.out.read_text())
    assert found, f"`up --demo` prints a login\n{up.logs()}"
    return found.group(1), found.group(2)


def _count(database_url: str, table: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - fixed table names
    assert row is not None
    return int(row[0])


ORDER = {
    "channel": "web",
    "external_id": "CLI-TEST-1",
    "customer": {"id": "cust-cli", "name": "Cli Tester", "email": "cli@example.com"},
    "lines": [{"sku": "MUG-CER", "quantity": 1, "unit_price": {"amount": "12.50", "currency": "EUR"}}],
}


def _place_and_read(base: str, token: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    placed = httpx.post(f"{base}/api/v1/orders", json=ORDER, headers=headers, timeout=30)
    assert placed.status_code == 201, placed.text
    body = placed.json()
    url = f"{base}/api/v1/orders/{body['id']}?min_position={body['position']}"
    read = httpx.get(url, headers=headers, timeout=30)
    assert read.status_code == 200, read.text
    order: dict[str, Any] = read.json()
    return order


def test_help_lists_the_operating_commands() -> None:
    result = subprocess.run([SHOPOPS, "--help"], check=False, capture_output=True, text=True, env=_env(), timeout=60)
    assert result.returncode == 0
    for command in ("migrate", "user", "up", "api", "projections"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.MULTILINE), result.stdout


def test_migrate_creates_the_database_then_has_nothing_to_apply(fresh_url: str) -> None:
    first = shopops("migrate", database_url=fresh_url)
    assert first.returncode == 0, first.stderr
    assert "0001_event_store" in first.stdout
    second = shopops("migrate", database_url=fresh_url)
    assert second.returncode == 0, second.stderr
    assert "0001" not in second.stdout


def test_migrate_without_database_url_fails() -> None:
    result = subprocess.run([SHOPOPS, "migrate"], check=False, capture_output=True, text=True, env=_env(), timeout=60)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_user_add_reads_the_password_from_stdin(migrated_url: str) -> None:
    added = shopops(
        "user", "add", "ana", "--role", "ops", "--role", "warehouse", "--warehouse", "BER",
        database_url=migrated_url, stdin="a-long-pass-phrase\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    with psycopg.connect(migrated_url) as conn:
        row = conn.execute("SELECT roles, warehouses FROM api_users WHERE username = 'ana'").fetchone()
    assert row == (["ops", "warehouse"], ["BER"])


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (("--role", "ops"), ""),  # no password
        (("--role", "ops"), "\n"),  # empty password
        (("--role", "janitor"), "a-long-pass-phrase\n"),  # unknown role
        ((), "a-long-pass-phrase\n"),  # no role
    ],
)
def test_user_add_refuses_bad_input(migrated_url: str, args: tuple[str, ...], stdin: str) -> None:
    result = shopops("user", "add", "bob", *args, database_url=migrated_url, stdin=stdin)
    assert result.returncode != 0
    assert _count(migrated_url, "api_users") == 0


def test_projections_rebuild_reports_a_summary(migrated_url: str) -> None:
    result = shopops("projections", "rebuild", "order_summary", database_url=migrated_url)
    assert result.returncode == 0, result.stderr
    assert "order_summary" in result.stdout
    unknown = shopops("projections", "rebuild", "no_such_model", database_url=migrated_url)
    assert unknown.returncode != 0


def test_projections_runs_the_named_read_models_until_interrupted(migrated_url: str, tmp_path: Path) -> None:
    unknown = shopops("projections", "no_such_model", database_url=migrated_url)
    assert unknown.returncode == 2
    log = tmp_path / "projections.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [SHOPOPS, "projections", "order_summary", "stock_levels"],
            env=_env(DATABASE_URL=migrated_url),
            stdout=out,
            stderr=out,
        )
    wait_until(lambda: "running projections" in log.read_text() or proc.poll() is not None, 60, "start", log.read_text)
    assert proc.poll() is None, log.read_text()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=STOP_TIMEOUT) == 0


def test_up_runs_the_group_serves_orders_and_stops_on_ctrl_c(fresh_url: str, tmp_path: Path) -> None:
    up = Up(tmp_path, _env(DATABASE_URL=fresh_url), "--demo")
    try:
        up.wait_live()
        order = _place_and_read(up.base, _token(up.base, *_demo_login(up)))
        assert order["external_id"] == "CLI-TEST-1"
        up.wait_caught_up()
        counts = {t: _count(fresh_url, t) for t in ("order_summary", "ticket_queue", "product_catalog")}
        assert counts["order_summary"] >= 30
        assert counts["ticket_queue"] >= 1
    finally:
        up.stop()
    again = Up(tmp_path, _env(DATABASE_URL=fresh_url), "--demo")  # same database: the demo is not loaded twice
    try:
        again.wait_live()
        assert "already" in again.out.read_text()
        _token(again.base, *_demo_login(again))
        again.wait_caught_up()
        assert {t: _count(fresh_url, t) for t in counts} == counts
    finally:
        again.stop()


def _child(up: Up, module: str) -> psutil.Process:
    found = [p for p in psutil.Process(up.proc.pid).children() if module in " ".join(p.cmdline())]
    assert len(found) == 1, f"one {module} child expected, found {found}"
    return found[0]


def _restarted(up: Up, crashed: psutil.Process) -> bool:
    with contextlib.suppress(AssertionError, psutil.NoSuchProcess):
        return _child(up, "cli projections").pid != crashed.pid
    return False


def test_up_restarts_a_crashed_part(fresh_url: str, tmp_path: Path) -> None:
    up = Up(tmp_path, _env(DATABASE_URL=fresh_url))
    try:
        up.wait_live()
        crashed = _child(up, "cli projections")
        crashed.kill()
        wait_until(lambda: _restarted(up, crashed), 30, "the projection runner to be restarted", up.logs, poll=0.3)
        up.wait_caught_up()
    finally:
        up.stop()


def test_up_exits_non_zero_when_a_part_cannot_start(fresh_url: str, tmp_path: Path) -> None:
    with socket.socket() as taken:  # the API's port is in use: the API dies on every start
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [SHOPOPS, "up", "--port", str(port)],
            cwd=tmp_path, env=_env(DATABASE_URL=fresh_url), capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert result.returncode == 1, result.stderr[-3000:]
    assert "cannot start" in result.stderr


def test_up_exits_non_zero_when_the_database_is_unreachable(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens there
    env = _env(DATABASE_URL=f"postgresql://postgres@127.0.0.1:{port}/shopops")
    result = subprocess.run(
        [SHOPOPS, "up", "--port", str(_free_port())],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert result.returncode != 0


def test_up_without_database_url_starts_the_embedded_postgresql(tmp_path: Path) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="shopops-emb-"))  # short path: the server's unix socket lives there
    try:
        up = Up(tmp_path, _env(SHOPOPS_DATA_DIR=str(data_dir)))
        try:
            up.wait_live()
            assert httpx.get(f"{up.base}/health/ready", timeout=10).status_code == 200
        finally:
            up.stop()
        assert (data_dir / "pg" / "PG_VERSION").exists()
        assert not (data_dir / "pg" / "postmaster.pid").exists(), "the embedded server stops with the group"
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
