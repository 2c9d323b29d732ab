"""Reorder: after stock changes, evaluate the SKU × warehouse policy and raise at most one replenishment."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import Actor
from domain.stock import Stock
from infrastructure.forecasting.store import demand_forecast
from infrastructure.jobs.ledger import Job
from infrastructure.readmodels.catalog import warehouse_regions
from workers.runtime import Runtime

REORDER = Actor(id="reorder", role="worker", kind="worker")


def reorder(runtime: Runtime, job: Job) -> dict[str, Any]:
    app = runtime.container.app
    stock = app.get_aggregate(UUID(job.payload["stock_id"]))
    if not isinstance(stock, Stock) or stock.policy is None:
        return {"replenishment": None}
    meta = job.meta(REORDER)
    days = int(stock.policy["lead_time_days"]) + int(stock.policy["review_days"])
    forecast = demand_forecast(runtime.pool, stock.sku, stock.warehouse, days)
    result = app.evaluate_reorder(stock.sku, stock.warehouse, sorted(warehouse_regions(runtime.pool)), meta, forecast)
    return {"replenishment": str(result.aggregate.id) if result.aggregate else None}
