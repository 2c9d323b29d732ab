"""S4: schemathesis over the served OpenAPI document against a real API process with every check on: no server
error, and every status code, content type, header and body as documented; schema-invalid requests rejected,
valid ones accepted (see schemathesis.toml for the business-rule answers), `Allow` as documented, auth and
object-level authorisation enforced. CI runs a bounded pass; the long pass is marked slow."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from infrastructure.identity.users import add_user
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def live(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health/live").status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.parametrize(
    "examples",
    [
        pytest.param(5, id="bounded"),
        # every check on makes the long pass take longer than the suite's default 300 s timeout
        pytest.param(100, id="long", marks=[pytest.mark.slow, pytest.mark.timeout(1800)]),
    ],
)
def test_fuzzing_the_openapi_document_finds_no_server_error_or_schema_violation(
    clean_db: str, tmp_path: Path, examples: int
) -> None:
    add_user(clean_db, "fuzzer", "fuzzer-password", ["admin"], [])
    port = free_port()
    env = {**os.environ, "DATABASE_URL": clean_db, "SHOPOPS_SECRET_KEY": "fuzz-secret-key-with-at-least-32-bytes!!"}
    log = (tmp_path / "api.log").open("wb")
    api = subprocess.Popen(
        [sys.executable, "-m", "api", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    # The read models follow the log as in production, so `?min_position=` within the log is answered, not 503.
    runner = subprocess.Popen([sys.executable, "-m", "cli", "projections"], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: live(base), 60, "the API to answer /health/live", (tmp_path / "api.log").read_text)
        token = httpx.post(f"{base}/api/v1/auth/token", json={"username": "fuzzer", "password": "fuzzer-password"})
        st = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
        run = subprocess.run(
            [
                st,
                "--config-file",
                str(CONFIG),
                "run",
                f"{base}/schema/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                str(examples),
                "--seed",
                "7",
                "--header",
                f"Authorization: Bearer {token.json()['access_token']}",
                "--no-color",
                # the alert event stream answers for minutes by design (no request/response to check)
                "--exclude-path",
                "/api/v1/alerts/stream",
            ],
            capture_output=True,
            text=True,
            timeout=1700,
            check=False,
        )
    finally:
        for process in (api, runner):
            process.terminate()
            process.wait(10)
    failures = run.stdout.find("FAILURES")  # the cases that failed, before schemathesis' long warnings
    report = run.stdout[failures : failures + 6000] if failures >= 0 else run.stdout[-6000:]
    assert run.returncode == 0, report + (tmp_path / "api.log").read_text()[-3000:]
