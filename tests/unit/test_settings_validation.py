"""Settings are validated at start-up: a bad refresh time, policy or rules file is a ValidationError naming the
setting, and a process started with one stops at once with a message instead of failing in a loop later."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from infrastructure.settings import LISTEN_CONNECTIONS, ConfigurationError, Settings, connection_plan

ROOT = Path(__file__).resolve().parents[2]


def invalid(**values: Any) -> str:
    """The validation message for settings built from these values (there must be one)."""
    with pytest.raises(ValidationError) as error:
        Settings(**values)
    return str(error.value)


@pytest.mark.parametrize("value", ["25:00", "2am", "7:30", "12:60", "24:00", "noon", "02:00:00"])
def test_a_refresh_time_that_is_not_hh_mm_is_refused(value: str) -> None:
    message = invalid(shopops_forecast_refresh_at=value)
    assert "shopops_forecast_refresh_at" in message
    assert "HH:MM" in message


@pytest.mark.parametrize(("value", "expected"), [("02:00", time(2)), (" 23:59 ", time(23, 59)), ("", None)])
def test_a_valid_refresh_time_or_none_is_read(value: str, expected: time | None) -> None:
    assert Settings(shopops_forecast_refresh_at=value).forecast_refresh_time == expected


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SHOPOPS_ROUTING_PREFERRED", '{"web": "W1"}'),  # a list of warehouses expected
        ("SHOPOPS_ROUTING_PREFERRED", '["W1"]'),
        ("SHOPOPS_SLA_POLICY", "[1, 2]"),
        ("SHOPOPS_SLA_POLICY", '{"normal": [60]}'),
        ("SHOPOPS_CLEARANCE_POLICY", '{"default": {"beta": -1}}'),
        ("SHOPOPS_CLEARANCE_POLICY", '{"default": {"colour": "red"}}'),
        ("SHOPOPS_CLEARANCE_POLICY", '{"regions": {}}'),
        ("SHOPOPS_CHANNEL_SECRETS", '{"amazon": ["s1"]}'),
    ],
)
def test_json_policies_of_the_wrong_shape_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=variable.lower()):
        Settings()


def test_a_policy_that_is_not_json_at_all_is_refused() -> None:
    assert "shopops_routing_preferred" in invalid(shopops_routing_preferred="{web: W1")


def test_an_sla_policy_naming_an_unknown_priority_is_refused() -> None:
    message = invalid(shopops_sla_policy={"normal": (60, 600), "vip": (1, 2)})
    assert "unknown priorities ['vip']" in message


def test_sla_seconds_must_be_positive() -> None:
    assert "SLA seconds must be positive" in invalid(shopops_sla_policy={"urgent": (0, 600)})


def test_a_triage_rules_file_that_is_missing_or_not_an_object_is_refused(tmp_path: Path) -> None:
    assert "cannot read triage rules" in invalid(shopops_triage_rules=tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert "cannot read triage rules" in invalid(shopops_triage_rules=broken)
    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    assert "must be a JSON object" in invalid(shopops_triage_rules=listed)


def test_a_triage_rules_file_replaces_only_the_parts_it_names(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"urgent_words": ["now"]}), encoding="utf-8")
    loaded = Settings(shopops_triage_rules=rules).triage_rules()
    assert loaded["urgent_words"] == ["now"]
    assert "shipping" in loaded["categories"]


def test_payment_first_channels_are_read_comma_separated_and_routing_becomes_a_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOPOPS_PAYMENT_FIRST_CHANNELS", " b2b, ,wholesale ")
    monkeypatch.setenv("SHOPOPS_ROUTING_PREFERRED", '{"amazon": ["W2", "W1"]}')
    policy = Settings().routing_policy
    assert policy.payment_first_channels == frozenset({"b2b", "wholesale"})
    assert policy.preferred_by_channel == {"amazon": ("W2", "W1")}


def test_a_worker_started_with_a_bad_refresh_time_stops_at_once_naming_the_setting() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["SHOPOPS_FORECAST_REFRESH_AT"] = "25:00"
    result = subprocess.run(
        [sys.executable, "-m", "workers", "relay"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "SHOPOPS_FORECAST_REFRESH_AT" in result.stderr
    assert "25:00" in result.stderr
    assert "Traceback" not in result.stderr  # a message for the operator, not a stack trace


def _held(plan: dict[str, dict[str, str]], api_processes: int) -> int:
    """The most connections a group started with this plan can hold (the projections' LISTEN included)."""
    total = LISTEN_CONNECTIONS
    for part, env in plan.items():
        size = int(env["SHOPOPS_POOL_SIZE"]) + int(env["SHOPOPS_POOL_MAX_OVERFLOW"]) + int(env["SHOPOPS_APP_POOL_SIZE"])
        size += int(env.get("SHOPOPS_READ_POOL_SIZE", "0"))
        total += size * (api_processes if part == "api" else 1)
    return total


@pytest.mark.parametrize(("budget", "apis"), [(20, 1), (20, 2), (17, 1), (40, 4), (100, 3)])
@pytest.mark.parametrize("separate_jobs", [True, False])
def test_the_connection_plan_stays_within_the_budget(budget: int, apis: int, separate_jobs: bool) -> None:
    plan = connection_plan(budget, apis, separate_jobs)
    assert _held(plan, apis) <= budget
    assert {"api", "projections", "audit-chain"} <= plan.keys()
    assert ("jobs" in plan) is not separate_jobs
    assert int(plan["api"]["SHOPOPS_POOL_SIZE"]) >= 1
    assert int(plan["api"]["SHOPOPS_READ_POOL_SIZE"]) >= 1


def test_a_budget_too_small_for_the_api_processes_stops_with_a_message() -> None:
    with pytest.raises(ConfigurationError, match="SHOPOPS_DB_CONNECTIONS=20 is too small for 3 API"):
        connection_plan(20, 3)
    assert "shopops_db_connections" in invalid(shopops_db_connections=5)
