"""Dispatch: route and allocate placed orders, and fill backorders first come, first served when stock arrives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.base import Actor
from domain.stock import Stock
from infrastructure.jobs.ledger import Job
from infrastructure.readmodels.catalog import warehouse_regions
from infrastructure.readmodels.order_summary import backordered_orders
from workers.runtime import Runtime

DISPATCHER = Actor(id="dispatch", role="worker", kind="worker")




def dispatch_order(runtime: Runtime, job: Job, wait_seconds: float = 10.0) -> dict[str, Any]:
    """Route and allocate an order. Waits for the warehouse list to have seen everything before the order,
    so a warehouse registered earlier is never missed (which would backorder the order needlessly)."""
    app = runtime.container.app
    routing = runtime.container.settings.routing_policy
    order = app.order(UUID(job.payload["order_id"]))
    if routing.waits_for_payment(order.channel, Decimal(order.paid), Decimal(order.total)):
        return {"status": order.status, "waiting_for": "payment"}
    runtime.wait_for_projection("warehouse_list", job.cause_position, wait_seconds)
    regions = warehouse_regions(runtime.pool)
    preferred = routing.preferred_warehouses(order.channel, order.customer, regions)
    result = app.allocate_order(order.id, sorted(regions), preferred, job.meta(DISPATCHER))
    return {"status": result.aggregate.status, "position": result.position}


def fill_backorders(runtime: Runtime, job: Job, wait_seconds: float = 10.0) -> dict[str, Any]:
    """Offer newly available stock to waiting orders, oldest first. Waits for the order read model to have
    seen everything before this job's cause, so no backorder placed earlier is overlooked."""
    app = runtime.container.app
    stock = app.get_aggregate(UUID(job.payload["stock_id"]))
    if not isinstance(stock, Stock) or stock.available <= 0:
        return {"filled": []}
    runtime.wait_for_projection("order_summary", job.cause_position, wait_seconds)
    regions = warehouse_regions(runtime.pool)
    routing = runtime.container.settings.routing_policy
    filled = []
    for oid in backordered_orders(runtime.pool, stock.sku):
        order = app.order(UUID(oid))
        preferred = routing.preferred_warehouses(order.channel, order.customer, regions)
        result = app.allocate_order(order.id, sorted(regions), preferred, job.meta(DISPATCHER))
        if result.position is not None:
            filled.append(oid)
        if app.stock(stock.sku, stock.warehouse).available <= 0:
            break
    return {"filled": filled}
