"""Checkout holds that expire and payment-first orders left unpaid: the relay's periodic sweep writes one
ledger job per due hold or order (so a killed worker or a wiped Redis still gets them done); the job
re-checks on the aggregate (an extended hold, or a payment that arrived first, wins)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from application.errors import VersionMismatchError
from application.reactions import JobSpec
from domain.base import Actor
from domain.order import CANCELLABLE
from infrastructure.jobs.ledger import Job
from infrastructure.readmodels.base import Pool
from infrastructure.readmodels.holds import holds_due
from infrastructure.settings import Settings
from workers.runtime import Runtime

CHECKOUT = Actor(id="checkout", role="worker", kind="worker")
UNPAID_REASON = "unpaid_timeout"
# A sweep also takes holds due this soon; their job waits for the moment (bounded, so threads stay free).
HOLD_LOOKAHEAD_SECONDS = 1.0




def hold_expiry_jobs(pool: Pool, horizon_seconds: float) -> list[JobSpec]:
    """Periodic: one `hold_expire` job per hold due within `horizon_seconds` or overdue (keyed by hold and
    expiry, so an extended hold gets a new job). With the relay's 5 s sweep a hold ends ≤ ~4 s after its time."""
    return [
        JobSpec("hold_expire", f"{hid}:{due.isoformat()}", {"hold_id": hid, "expires_at": due.isoformat()})
        for hid, due in holds_due(pool, horizon_seconds)
    ]


def expire_hold(runtime: Runtime, job: Job, max_wait: float = 2 * HOLD_LOOKAHEAD_SECONDS) -> dict[str, Any]:
    """Wait for the hold's expiry (at most the look-ahead), then expire it unless it ended or was extended."""
    due = datetime.fromisoformat(job.payload["expires_at"])
    wait = (due - datetime.now(UTC)).total_seconds()
    if wait > 0:
        time.sleep(min(wait, max_wait))
    meta = replace(job.meta(CHECKOUT), business_time=datetime.now(UTC))
    result = runtime.container.app.expire_hold(UUID(job.payload["hold_id"]), meta)
    hold = result.aggregate
    if hold.status == "active" and hold.expiry <= due:  # not due yet by this clock: the ledger retries soon
        raise RuntimeError(f"hold {hold.id} is not due yet ({hold.expires_at})")
    return {"status": hold.status, "position": result.position}


def unpaid_order_jobs(pool: Pool, settings: Settings) -> list[JobSpec]:
    """Periodic: one `unpaid_cancel` job per payment-first order still unpaid after the configured minutes."""
    channels = sorted(settings.shopops_payment_first_channels)
    if not channels:
        return []
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT id FROM order_summary WHERE channel = ANY(%s) AND status = ANY(%s) AND paid < total "
            "AND placed_at < now() - make_interval(secs => %s) ORDER BY placed_at LIMIT 1000",
            (channels, sorted(CANCELLABLE), settings.shopops_unpaid_cancel_minutes * 60),
        ).fetchall()
    return [JobSpec("unpaid_cancel", str(r[0]), {"order_id": str(r[0])}) for r in rows]


def cancel_unpaid(runtime: Runtime, job: Job) -> dict[str, Any]:
    """Cancel with reason `unpaid_timeout` only if the order, as it is now, is still unpaid and cancellable;
    `If-Match` on the version read makes a payment recorded in between win."""
    app = runtime.container.app
    oid = UUID(job.payload["order_id"])
    for _ in range(5):
        order = app.order(oid)
        if order.status not in CANCELLABLE or Decimal(order.paid) >= Decimal(order.total):
            return {"cancelled": False, "status": order.status}
        try:
            result = app.cancel_order(oid, UNPAID_REASON, job.meta(CHECKOUT), if_match=order.version)
        except VersionMismatchError:
            continue  # something changed (a payment?): look again
        return {"cancelled": True, "position": result.position}
    raise RuntimeError("the order kept changing; retrying later")
