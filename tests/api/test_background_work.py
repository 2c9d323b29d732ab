"""Operators' endpoints for background work: replenishments (list, order, receive, cancel) and the job
ledger (parked jobs listed and retried), plus the queue figures in readiness and metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from psycopg import Connection
from psycopg_pool import ConnectionPool

from application.reactions import JobSpec
from domain.base import Actor, Meta
from domain.replenishment import DemandForecast
from infrastructure.bootstrap import Container
from infrastructure.jobs.ledger import JobLedger
from tests.api.conftest import Api, assert_problem
from tests.integration.test_job_ledger import lease_expired
from tests.waiting import wait_until

FORECAST_4 = DemandForecast(4.0, 1.0, 0, "test", "2026-01-01T00:00:00+00:00")

META = Meta(actor=Actor("reorder", "worker", "worker"), correlation_id="job:1")
POLICY = {"safety_factor": 0.5, "lead_time_days": 5, "review_days": 2, "min_order_qty": 10}


@pytest.fixture
def ledger(clean_db: str) -> Iterator[JobLedger]:
    pool: ConnectionPool[Connection[Any]] = ConnectionPool(clean_db, min_size=1, max_size=2, open=True)
    yield JobLedger(pool, lease_seconds=0.01)
    pool.close()


async def test_a_replenishment_is_listed_ordered_and_received_into_stock(api: Api, container: Container) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 3)
    response = await api.put("/api/v1/stock/A/W1/policy", POLICY, role="ops")
    assert response.status_code == 200, response.text
    raised = container.app.evaluate_reorder("A", "W1", ["W1", "W2"], META, forecast=FORECAST_4)
    listed = await api.seen("/api/v1/replenishments?status=open", raised.position or 0, role="warehouse")
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert (item["sku"], item["warehouse"], item["quantity"], item["status"]) == ("A", "W1", 47, "open")
    assert "reorder point" in item["reason"]
    assert item["decision"]["reorder_point"] == 42.0
    rid = item["id"]
    assert_problem(
        await api.post(f"/api/v1/replenishments/{rid}/order", {"supplier_reference": "PO-1"}, role="warehouse"), 403
    )
    ordered = await api.post(f"/api/v1/replenishments/{rid}/order", {"supplier_reference": "PO-1"}, role="ops")
    assert ordered.json()["status"] == "ordered"
    received = await api.post(f"/api/v1/replenishments/{rid}/receive", {}, role="ops")
    assert received.json()["status"] == "received"
    stock = await api.seen("/api/v1/stock/A/W1", received.json()["position"])
    assert stock.json()["on_hand"] == 50
    assert_problem(await api.post(f"/api/v1/replenishments/{rid}/cancel", {"reason": "late"}, role="ops"), 409)


async def test_parked_jobs_are_listed_and_retried_by_operators(api: Api, ledger: JobLedger) -> None:
    [job_id] = ledger.schedule([JobSpec("fault:crash", "poison", {})])
    for _ in range(3):
        assert ledger.claim(job_id) is not None  # the worker takes it and dies: the lease runs out
        wait_until(lambda: lease_expired(ledger, job_id), 5, f"the lease on job {job_id} to run out")
    ledger.sweep(stale_seconds=0)
    parked = await api.get("/api/v1/jobs?status=parked", role="ops")
    assert [j["id"] for j in parked.json()["items"]] == [job_id]
    ready = (await api.client.get("/health/ready")).json()
    assert ready["jobs"]["parked"] == 1
    assert "shopops_jobs_parked 1.0" in (await api.client.get("/metrics")).text
    assert_problem(await api.post(f"/api/v1/jobs/{job_id}/retry", role="support"), 403)
    retried = await api.post(f"/api/v1/jobs/{job_id}/retry", role="ops")
    assert (retried.status_code, retried.json()["status"], retried.json()["attempts"]) == (200, "pending", 0)
    assert_problem(await api.post(f"/api/v1/jobs/{job_id}/retry", role="ops"), 404)
