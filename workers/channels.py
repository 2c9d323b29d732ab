"""Channel pushes (D11): stock (`channel_push`) and fulfilment (`fulfilment_push`) sent to the channels' URLs,
signed, paced per channel, retried with back-off through the job ledger; and the drift check that re-pushes
what a channel has not acknowledged (also what a parked or lost push left behind)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application.reactions import JobSpec
from infrastructure.channels.client import PushError, post_signed
from infrastructure.channels.outbox import (
    Item,
    channel_lock,
    fulfilment_sent,
    fulfilment_target,
    mark_fulfilment_sent,
    mark_pushed,
    parked_fulfilments,
    pending_channels,
    pending_items,
    pending_versions,
    record_failure,
    stock_url,
    take_slot,
)
from infrastructure.jobs.ledger import Job
from infrastructure.readmodels.base import Pool
from infrastructure.settings import Settings
from workers.runtime import Runtime

PUSH_BUDGET_SECONDS = 20.0  # one job pushes at most this long (and half its lease); the rest is the next job's


def push_stock(runtime: Runtime, job: Job) -> dict[str, Any]:
    """Push every pending (channel, SKU) of the job's channel, or of every channel. A channel another worker
    is pushing is left to it (it loops until nothing is pending)."""
    if job.cause_position:
        runtime.wait_for_projection("available_to_sell", job.cause_position)
    channel = job.payload.get("channel")
    channels = [channel] if channel else pending_channels(runtime.pool)
    return {"pushed": {c: push_channel(runtime, c) for c in channels}}


def push_channel(runtime: Runtime, channel: str) -> int | None:
    """Send the channel's pending values in batches (fast lane first) until none is left; None when another
    worker holds the channel. A failed request is recorded and raised, so the ledger retries with back-off."""
    settings = runtime.container.settings
    deadline = time.monotonic() + min(PUSH_BUDGET_SECONDS, settings.shopops_job_lease_seconds / 2)
    sent = 0
    with channel_lock(runtime.pool, channel) as conn:
        if conn is None:
            return None
        url = stock_url(conn, channel)
        while url and time.monotonic() < deadline:
            items = pending_items(
                conn, channel, settings.shopops_channel_low_stock, settings.shopops_channel_batch_size
            )
            if not items:
                break
            batch = _lane(items, settings.shopops_channel_low_stock)
            time.sleep(take_slot(conn, channel, settings.shopops_channel_rate))
            try:
                post_signed(url, stock_body(channel, batch), settings.channel_secret(channel), _timeout(settings))
            except PushError as error:
                record_failure(conn, channel, str(error))
                raise
            mark_pushed(conn, channel, batch)
            sent += len(batch)
    return sent


def _lane(items: list[Item], low_stock: int) -> list[Item]:
    """A request carries the fast lane alone when there is one (zero and low stock go out first)."""
    fast = [i for i in items if i.available_to_sell <= low_stock]
    return fast or items


def _timeout(settings: Settings) -> float:
    return settings.shopops_channel_timeout_seconds


def stock_body(channel: str, items: list[Item]) -> dict[str, Any]:
    return {
        "channel": channel,
        "items": [{"sku": i.sku, "available_to_sell": i.available_to_sell, "version": i.version} for i in items],
        "sent_at": datetime.now(UTC).isoformat(),
    }


def push_fulfilment(runtime: Runtime, job: Job) -> dict[str, Any]:
    """Tell the order's channel that (part of) it shipped; once per shipment, retried until delivered."""
    payload = job.payload
    order = runtime.container.app.order(UUID(payload["order_id"]))
    if fulfilment_sent(runtime.pool, payload["order_id"], payload["shipment_version"]):
        return {"sent": False, "reason": "already delivered"}
    url = fulfilment_target(runtime.pool, order.channel)
    if not url:
        return {"sent": False, "reason": f"channel {order.channel} has no fulfilment_url"}
    body = {
        "external_id": order.external_id,
        "carrier": payload["carrier"],
        "tracking_number": payload["tracking_number"],
        "lines": payload["lines"],
    }
    settings = runtime.container.settings
    with runtime.pool.connection() as conn:
        time.sleep(take_slot(conn, order.channel, settings.shopops_channel_rate))
        try:
            post_signed(url, body, settings.channel_secret(order.channel), _timeout(settings))
        except PushError as error:
            record_failure(conn, order.channel, str(error))
            raise
    mark_fulfilment_sent(runtime.pool, payload["order_id"], payload["shipment_version"], order.channel)
    return {"sent": True}


def channel_push_jobs(pool: Pool) -> list[JobSpec]:
    """Periodic (every relay sweep): one `channel_push` per channel with pending values, keyed by the newest
    pending version, so any number of stock changes between two sweeps make one job."""
    return [
        JobSpec("channel_push", f"{channel}:{version}", {"channel": channel})
        for channel, version in pending_versions(pool)
    ]


def channel_drift_jobs(pool: Pool, settings: Settings) -> list[JobSpec]:
    """Periodic drift check: a `channel_push` for each channel whose receiver is behind for longer than
    `SHOPOPS_CHANNEL_DRIFT_SECONDS` (pushed ≠ current), and a fresh `fulfilment_push` for each shipment whose
    push was parked undelivered. Keys carry the time bucket, so each happens once per period."""
    every = settings.shopops_channel_drift_seconds
    bucket = int(time.time() // every)
    specs = [
        JobSpec("channel_push", f"drift:{channel}:{bucket}", {"channel": channel})
        for channel in pending_channels(pool, older_than_seconds=every)
    ]
    specs += [
        JobSpec("fulfilment_push", f"{p['order_id']}:{p['shipment_version']}:retry:{bucket}", p)
        for p in parked_fulfilments(pool, every)
    ]
    return specs
