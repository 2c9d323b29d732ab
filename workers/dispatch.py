"""Dispatch: route and allocate placed orders, and fill backorders first come, first served when stock arrives."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.base import Actor, Meta
from domain.stock import Stock
from infrastructure.jobs.ledger import Job
from infrastructure.readmodels.work_queries import backordered_orders, warehouses
from workers.runtime import Runtime

DISPATCHER = Actor(id="dispatch", role="worker", kind="worker")


def job_meta(job: Job) -> Meta:
    """Decisions made by a job name the job as their cause; the correlation id follows the original request."""
    return Meta(actor=DISPATCHER, correlation_id=job.correlation_id or f"job:{job.id}", causation_id=f"job:{job.id}")


def preferred_warehouses(order: Any, regions: dict[str, str]) -> list[str]:
    """Routing policy: warehouses configured for the channel, then those in the customer's region."""
    by_channel: dict[str, list[str]] = json.loads(os.environ.get("SHOPOPS_ROUTING_PREFERRED", "{}") or "{}")
    preferred = list(by_channel.get(order.channel, []))
    address = order.customer.get("address") or {}
    region = order.customer.get("region") or (address.get("region") if isinstance(address, dict) else None)
    preferred += [code for code, r in sorted(regions.items()) if region and r == region and code not in preferred]
    return preferred


def payment_first(channel: str) -> bool:
    """Channels whose orders are allocated only once paid in full (SHOPOPS_PAYMENT_FIRST_CHANNELS=a,b)."""
    return channel in {c.strip() for c in os.environ.get("SHOPOPS_PAYMENT_FIRST_CHANNELS", "").split(",") if c}


def dispatch_order(runtime: Runtime, job: Job, wait_seconds: float = 10.0) -> dict[str, Any]:
    """Route and allocate an order. Waits for the warehouse list to have seen everything before the order,
    so a warehouse registered earlier is never missed (which would backorder the order needlessly)."""
    app = runtime.container.app
    order = app.order(UUID(job.payload["order_id"]))
    if payment_first(order.channel) and Decimal(order.paid) < Decimal(order.total):
        return {"status": order.status, "waiting_for": "payment"}
    runtime.wait_for_projection("warehouse_list", job.cause_position, wait_seconds)
    regions = warehouses(runtime.pool)
    result = app.allocate_order(order.id, sorted(regions), preferred_warehouses(order, regions), job_meta(job))
    return {"status": result.aggregate.status, "position": result.position}


def fill_backorders(runtime: Runtime, job: Job, wait_seconds: float = 10.0) -> dict[str, Any]:
    """Offer newly available stock to waiting orders, oldest first. Waits for the order read model to have
    seen everything before this job's cause, so no backorder placed earlier is overlooked."""
    app = runtime.container.app
    stock = app.get_aggregate(UUID(job.payload["stock_id"]))
    if not isinstance(stock, Stock) or stock.available <= 0:
        return {"filled": []}
    runtime.wait_for_projection("order_summary", job.cause_position, wait_seconds)
    regions = warehouses(runtime.pool)
    filled = []
    for oid in backordered_orders(runtime.pool, stock.sku):
        order = app.order(UUID(oid))
        result = app.allocate_order(order.id, sorted(regions), preferred_warehouses(order, regions), job_meta(job))
        if result.position is not None:
            filled.append(oid)
        if app.stock(stock.sku, stock.warehouse).available <= 0:
            break
    return {"filled": filled}
