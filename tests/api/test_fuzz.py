"""S4: schemathesis over the served OpenAPI document against a real API process: no server errors and no
response that breaks the documented schema. CI runs a bounded pass; the long pass is marked slow."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from infrastructure.identity.users import add_user

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "examples", [pytest.param(5, id="bounded"), pytest.param(100, id="long", marks=pytest.mark.slow)]
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
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health/live").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        token = httpx.post(f"{base}/api/v1/auth/token", json={"username": "fuzzer", "password": "fuzzer-password"})
        st = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
        run = subprocess.run(
            [
                st,
                "run",
                f"{base}/schema/openapi.json",
                "--checks",
                "not_a_server_error,response_schema_conformance",
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
            timeout=1200,
            check=False,
        )
    finally:
        for process in (api, runner):
            process.terminate()
            process.wait(10)
    failures = run.stdout.find("FAILURES")  # the cases that failed, before schemathesis' long warnings
    report = run.stdout[failures : failures + 6000] if failures >= 0 else run.stdout[-6000:]
    assert run.returncode == 0, report + (tmp_path / "api.log").read_text()[-3000:]
