"""Forecast refresh in real processes on Redis: a run fans out per SKU batch to the workers, survives a worker
killed mid-run, publishes exactly one forecast per series and re-evaluates reorder points with them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import numpy as np
import pytest
from psycopg import Connection
from psycopg_pool import ConnectionPool

from domain.base import Actor, Meta
from infrastructure.bootstrap import Container
from infrastructure.forecasting import runs, store
from tests.faults.conftest import Stack
from tests.waiting import wait_until

META = Meta(actor=Actor("planner", "ops"), correlation_id="forecast-fault-test")
SKUS = tuple(f"S{i:02d}" for i in range(12))
Pool = ConnectionPool[Connection[Any]]


@pytest.fixture
def pool(clean_db: str) -> Iterator[Pool]:
    with ConnectionPool(clean_db, min_size=1, max_size=2) as p:
        yield p


def history_csv(days: int = 150) -> str:
    rng = np.random.default_rng(11)
    end = datetime.now(UTC).date() - timedelta(days=1)
    lines = ["date,sku,warehouse,units,unit_price"]
    for n, sku in enumerate(SKUS):
        level = 2.0 + n
        for back in range(days):
            day = end - timedelta(days=back)
            lines.append(f"{day},{sku},W1,{rng.poisson(level * (1.4 if day.weekday() >= 5 else 1.0))},5.00")
    return "\n".join(lines) + "\n"


def test_a_refresh_fans_out_per_batch_and_survives_a_killed_worker(
    container: Container, stack: Stack, pool: Pool
) -> None:
    app = container.app
    app.put_warehouse("W1", "Main", "eu", META)
    for sku in SKUS:
        app.put_product(sku, sku, "tools", Decimal("5.00"), "EUR", 3, META)
    app.receive_stock("S05", "W1", 4, "po", META)
    app.set_stock_policy(
        "S05", "W1", {"safety_factor": "0.5", "lead_time_days": 3, "review_days": 4, "min_order_qty": 5}, META
    )
    store.import_sales(pool, history_csv(), "erp.csv", "test")
    stack.env.update(
        {"SHOPOPS_FORECAST_BATCH_SKUS": "3", "SHOPOPS_JOB_LEASE_SECONDS": "20", "SHOPOPS_FORECAST_HORIZON_DAYS": "14"}
    )
    for name in ("projections", "relay", "worker"):
        stack.start(name)
    wait_until(lambda: store.stock_policies(pool, ["S05"]) != [], 30, "stock read model", stack.log_tail)
    job_id = runs.request_refresh(pool, None, "fault-test")

    wait_until(lambda: _run(pool, job_id)["batches_done"] >= 1, 180, "first batch", stack.log_tail)
    stack.kill("worker")  # mid-run: some batches done, others leased or queued
    stack.start("worker")
    wait_until(lambda: _run(pool, job_id)["status"] in ("done", "failed"), 300, "the whole run", stack.log_tail)

    status = _run(pool, job_id)
    assert (status["batches"], status["batches_done"], status["status"]) == (4, 4, "done")
    with pool.connection() as conn:
        per_series = conn.execute(
            "SELECT sku, warehouse, count(*) FROM forecasts WHERE run_id = %s GROUP BY sku, warehouse", (job_id,)
        ).fetchall()
        assert conn.execute("SELECT count(*) FROM jobs WHERE status = 'parked'").fetchone() == (0,)
    assert sorted((s, w) for s, w, _ in per_series) == sorted([(s, "W1") for s in SKUS] + [(s, "") for s in SKUS])
    assert {c for _, _, c in per_series} == {1}
    assert status["series"] == 24

    # S05 sells ~7 a day: 4 on hand is below the forecast's reorder point, so the batch raised a replenishment
    forecast = store.demand_forecast(pool, "S05", "W1", 7)
    assert forecast is not None
    assert 4 < forecast.daily_demand < 11
    stock = app.stock("S05", "W1")
    assert stock.open_replenishment is not None
    replenishment = app.replenishment(UUID(stock.open_replenishment))
    assert replenishment.decision["forecast"]["forecast_id"] == forecast.forecast_id
    assert replenishment.decision["demand_source"].startswith("forecast:")


def _run(pool: ConnectionPool[Any], job_id: int) -> dict[str, Any]:
    run = runs.refresh_run(pool, job_id)
    assert run is not None
    return run
