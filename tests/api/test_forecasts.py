"""Forecasting through the HTTP contract: refresh requests, published forecasts, realised accuracy, sales
history, clearance suggestions and reorder decisions that use the forecast. Batches run in-process here
(the worker's own handlers on a real database); tests/faults/test_forecasting.py runs them in real workers."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest

from infrastructure.forecasting import frames as forecast_frames
from infrastructure.forecasting import runs, store
from infrastructure.jobs.ledger import Job
from infrastructure.settings import Settings
from tests.api.conftest import Api, assert_problem
from workers.forecasts import forecast_batch, refresh_forecasts, scheduled_refresh
from workers.runtime import Runtime, build_runtime

TODAY = datetime.now(UTC).date()


def erp_csv(sku: str, warehouse: str, days: int, level: float, seed: int, end: date | None = None) -> str:
    """Daily sales with a weekly pattern ending yesterday (or `end`), as an ERP would export them."""
    rng = np.random.default_rng(seed)
    end = end or TODAY - timedelta(days=1)
    lines = ["date,sku,warehouse,channel,units,unit_price,promo"]
    for back in range(days - 1, -1, -1):
        day = end - timedelta(days=back)
        weekly = 1.5 if day.weekday() >= 5 else 1.0
        promo = back % 17 == 0
        units = int(rng.poisson(level * weekly * (1.8 if promo else 1.0)))
        lines.append(f"{day},{sku},{warehouse},erp,{units},9.50,{int(promo)}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def runtime(settings: Settings, clean_db: str) -> Iterator[Runtime]:
    built = build_runtime(settings)
    yield built
    built.close()


def head(runtime: Runtime) -> int:
    """The log's last position: reads with `min_position` of it see everything written so far."""
    return runtime.container.app.recorder.max_notification_id() or 0


def run_refresh(runtime: Runtime, job_id: int) -> dict[str, Any]:
    """What a worker does with the refresh job and the batch jobs it fans out to."""
    job = runtime.ledger.claim(job_id)
    assert job is not None
    result = refresh_forecasts(runtime, job)
    runtime.ledger.complete(job, result)
    with psycopg.connect(runtime.container.settings.require_database_url()) as conn:
        batch_ids = [r[0] for r in conn.execute("SELECT id FROM jobs WHERE kind = 'forecast_batch' ORDER BY id")]
    for batch_id in batch_ids:
        batch = runtime.ledger.claim(batch_id)
        if batch is None:
            continue
        runtime.ledger.complete(batch, forecast_batch(runtime, batch))
    return result


async def seeded(api: Api, runtime: Runtime) -> None:
    await api.catalog("A", "B", "C")
    for sku, level, seed in (("A", 0.2, 1), ("B", 12.0, 2)):
        store.import_sales(runtime.pool, erp_csv(sku, "W1", 200, level, seed), "erp.csv", "test")
    await api.receive("A", "W1", 400)  # sells ~0.2 a day: a slow mover
    await api.receive("B", "W1", 30)
    policy = {
        "safety_factor": 0.5,
        "lead_time_days": 5,
        "review_days": 2,
        "min_order_qty": 10,
        "safety_method": "service_level",
        "service_level": 0.95,
    }
    response = await api.put("/api/v1/stock/B/W1/policy", policy, role="ops")
    assert response.status_code == 200, response.text
    assert (await api.seen("/api/v1/stock/B/W1", head(runtime))).status_code == 200  # the read model has it


async def test_refresh_publishes_forecasts_that_drive_reorder_and_clearance(api: Api, runtime: Runtime) -> None:
    await seeded(api, runtime)
    accepted = await api.post("/api/v1/forecasts/refresh", {}, role="ops")
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["job_id"]
    queued = await api.get(f"/api/v1/forecast-runs/{job_id}", role="auditor")
    assert queued.status_code == 200
    assert queued.json()["status"] == "queued"

    result = run_refresh(runtime, job_id)
    assert result["skus"] == 3
    assert result["batches"] >= 1
    run = (await api.get(f"/api/v1/forecast-runs/{job_id}", role="ops")).json()
    assert (run["status"], run["batches_done"], run["batches"]) == ("done", run["batches"], run["batches"])
    assert run["series"] == 4  # A and B, each in W1 and over all warehouses; C never sold

    response = await api.get("/api/v1/forecasts/B?warehouse=W1", role="warehouse", warehouses=("W1",))
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"sku", "model", "generated_at", "horizon_days", "points", "backtest"} <= body.keys()
    assert body["sku"] == "B"
    assert body["horizon_days"] == 28
    assert len(body["points"]) == 28
    first = body["points"][0]
    assert first["date"] == TODAY.isoformat()
    for point in body["points"]:
        assert point["lower_95"] <= point["lower"] <= point["mean"] <= point["upper"] <= point["upper_95"]
        assert point["lower"] >= 0
    assert 8 < sum(p["mean"] for p in body["points"]) / 28 < 18  # level 12, weekends x1.5
    assert {"mase", "bias"} <= body["backtest"].keys()
    assert body["backtest"]["mase"] > 0
    assert body["window"]["end"] == (TODAY - timedelta(days=1)).isoformat()
    assert body["model"]  # the model the backtest gate chose (hybrid, arima, ets, seasonal_naive, sba, ...)
    total = await api.get("/api/v1/forecasts/B", role="finance")
    assert total.status_code == 200
    assert total.json()["warehouse"] is None

    assert_problem(await api.get("/api/v1/forecasts/C", role="ops"), 404)
    assert_problem(await api.get("/api/v1/forecasts/B?warehouse=W2", role="warehouse", warehouses=("W1",)), 403)

    await reorder_used_the_forecast(api, runtime, body)
    await slow_movers_are_suggested_for_clearance(api)


async def reorder_used_the_forecast(api: Api, runtime: Runtime, body: dict[str, Any]) -> None:
    # B: 30 on hand against ~12/day over 7 days of protection -> a replenishment that records the forecast
    listed = (await api.seen("/api/v1/replenishments?status=open", head(runtime), role="ops")).json()["items"]
    [replenishment] = [r for r in listed if r["sku"] == "B"]
    decision = replenishment["decision"]
    assert decision["forecast"]["forecast_id"] == body["id"]
    assert decision["demand_source"] == f"forecast:{body['model']}"
    assert decision["safety_method"] == "service_level"
    expected_safety = decision["z"] * decision["error_sd"] * math.sqrt(7)
    assert decision["safety_stock"] == pytest.approx(expected_safety, rel=1e-3)
    assert decision["z"] == pytest.approx(1.6449, rel=1e-3)


async def slow_movers_are_suggested_for_clearance(api: Api) -> None:
    # A: 400 units at ~0.2 a day is years of cover -> suggested for clearance, with the reason
    suggestions = await api.get("/api/v1/clearance-suggestions", role="finance")
    assert suggestions.status_code == 200, suggestions.text
    [slow] = [s for s in suggestions.json()["items"] if s["sku"] == "A"]
    assert {"sku", "warehouse", "slow_qty", "suggested_qty", "reason"} <= slow.keys()
    assert slow["warehouse"] == "W1"
    assert 0 < slow["slow_qty"] <= 400
    assert slow["suggested_qty"] == min(math.ceil(0.5 * slow["slow_qty"]), 400)
    assert "days of cover" in slow["reason"]
    assert "forecast" in slow["reason"]
    assert not [s for s in suggestions.json()["items"] if s["sku"] == "B"]
    scoped = await api.get("/api/v1/clearance-suggestions", role="warehouse", warehouses=("W2",))
    assert scoped.json()["items"] == []


async def test_refresh_requests_are_checked_and_change_nothing_when_bad(api: Api, database_url: str) -> None:
    await api.catalog("A")
    assert_problem(await api.post("/api/v1/forecasts/refresh", {"skus": ["A", "NOPE"]}, role="ops"), 422)
    assert_problem(await api.post("/api/v1/forecasts/refresh", {"skus": []}, role="ops"), 422)
    assert_problem(await api.post("/api/v1/forecasts/refresh", {"all": True}, role="ops"), 422)
    assert_problem(await api.post("/api/v1/forecasts/refresh", {}, role="warehouse"), 403)
    assert_problem(await api.get("/api/v1/forecast-runs/12345", role="ops"), 404)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM jobs").fetchone() == (0,)
    accepted = await api.post("/api/v1/forecasts/refresh", {"skus": ["A"]}, role="admin")
    assert accepted.status_code == 202
    bodyless = await api.client.post("/api/v1/forecasts/refresh", headers=api.headers("ops"))  # no body: all SKUs
    assert bodyless.status_code == 202, bodyless.text
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT kind, payload->'skus', status FROM jobs ORDER BY id").fetchall()
    assert rows == [("forecast_refresh", ["A"], "pending"), ("forecast_refresh", None, "pending")]


async def test_realised_accuracy_is_tracked_as_sales_arrive(api: Api, runtime: Runtime) -> None:
    await api.catalog("A")
    start = TODAY - timedelta(days=10)
    # a forecast published ten days ago: 4 a day for 14 days, from a series whose MASE scale was 2
    dates = pd.date_range(start, periods=14, freq="D")
    forecasts = pd.DataFrame(
        {
            "series_id": store.series_id("A", "W1"),
            "date": dates,
            "mean": 4.0,
            "lower_80": 2.0,
            "upper_80": 6.0,
            "lower_95": 1.0,
            "upper_95": 7.0,
            "model": "ets",
        }
    )
    series = pd.DataFrame(
        [
            {
                "series_id": store.series_id("A", "W1"),
                "model": "ets",
                "kind": "regular",
                "backtest_mase": 0.8,
                "backtest_bias": 1.0,
                "error_sd": 1.5,
                "scale": 2.0,
                "observations": 100,
                "start": pd.Timestamp(start - timedelta(days=100)),
                "end": pd.Timestamp(start - timedelta(days=1)),
                "params": "{}",
            }
        ]
    )
    forecast_frames.publish(runtime.pool, 1, series, forecasts, 14, datetime.now(UTC) - timedelta(days=10))
    # actual sales on the ten complete days since: 6 a day (errors of 2 -> MASE 1.0, bias -33%)
    csv = "date,sku,warehouse,units\n" + "".join(f"{start + timedelta(days=d)},A,W1,6\n" for d in range(10))
    store.import_sales(runtime.pool, csv, "erp.csv", "test")

    response = await api.get("/api/v1/forecasts/A/accuracy?warehouse=W1", role="auditor")
    assert response.status_code == 200, response.text
    body = response.json()
    [one] = body["forecasts"]
    assert one["points"] == 10
    assert one["actual_units"] == 60
    assert one["forecast_units"] == 40
    assert one["mase"] == pytest.approx(1.0)
    assert one["bias"] == pytest.approx(-33.3333, rel=1e-4)
    assert one["coverage_80"] == pytest.approx(1.0)
    assert body["summary"] == {"mase": 1.0, "bias": pytest.approx(-33.3333, rel=1e-4), "points": 10, "forecasts": 1}
    latest = (await api.get("/api/v1/forecasts/A?warehouse=W1", role="ops")).json()
    assert latest["realised"]["mase"] == pytest.approx(1.0)
    board = (await api.get("/api/v1/forecast-accuracy", role="ops")).json()["items"]
    assert board[0]["sku"] == "A"
    assert board[0]["mase"] == pytest.approx(1.0)

    history = await api.get(f"/api/v1/sales-history/A?warehouse=W1&since={start}", role="ops")
    assert history.status_code == 200
    days = history.json()["days"]
    assert [d["units"] for d in days] == [6] * 10
    assert days[0]["by_channel"] == {"erp": 6}
    assert_problem(await api.get("/api/v1/sales-history/A?since=2020-01-01&until=2019-01-01", role="ops"), 422)


def test_the_nightly_refresh_is_scheduled_once_a_day_after_its_time(settings: Settings) -> None:
    nightly = settings.model_copy(update={"shopops_forecast_refresh_at": "02:30"})
    before = datetime(2026, 5, 4, 2, 29, tzinfo=UTC)
    after = datetime(2026, 5, 4, 2, 30, tzinfo=UTC)
    assert scheduled_refresh(nightly, before) == []
    [spec] = scheduled_refresh(nightly, after)
    assert (spec.kind, spec.key) == ("forecast_refresh", "scheduled:2026-05-04")
    assert scheduled_refresh(nightly, after + timedelta(hours=5))[0].key == spec.key  # same day: same job
    assert scheduled_refresh(settings.model_copy(update={"shopops_forecast_refresh_at": ""}), after) == []


def test_a_redelivered_batch_publishes_once(runtime: Runtime) -> None:
    store.import_sales(runtime.pool, erp_csv("A", "W1", 90, 5.0, 3), "erp.csv", "test")
    job = Job(
        id=99,
        kind="forecast_batch",
        payload={"run_id": 7, "skus": ["A"], "horizon": 14, "until": (TODAY - timedelta(days=1)).isoformat()},
        attempts=1,
        correlation_id=None,
        cause_position=0,
    )
    runs.start_run(runtime.pool, 7, "test", "t", None, 14)
    runs.run_batches(runtime.pool, 7, 1)
    first = forecast_batch(runtime, job)
    second = forecast_batch(runtime, job)
    assert first["series"] == second["series"] == 2
    with runtime.pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM forecasts").fetchone() == (2,)
        run = conn.execute("SELECT batches_done, series, finished_at IS NOT NULL FROM forecast_runs").fetchone()
    assert run == (1, 2, True)  # the batch counted once
