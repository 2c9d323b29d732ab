"""Reconciliation runs: the query port over the read models, the rules from the settings, and a run that
first waits until the read models have seen everything the settlement may refer to."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Connection
from psycopg_pool import ConnectionPool

from application.base import Result
from application.shopops import ShopOps
from domain.base import Meta
from domain.reconciliation import Candidate, Rules
from infrastructure.settings import Settings

Pool = ConnectionPool[Connection[Any]]
CANDIDATES = (
    "SELECT p.reference, 'payment' AS kind, p.amount, p.recorded_at, o.external_id, o.customer_id, "
    "EXISTS (SELECT 1 FROM recon_claims c WHERE c.kind = 'payment' AND c.reference = p.reference) AS claimed "
    "FROM recon_payments p JOIN order_summary o ON o.id = p.order_id "
    "WHERE p.reference = ANY(%(refs)s) OR o.external_id = ANY(%(orders)s) "
    "UNION ALL "
    "SELECT r.reference, 'refund', r.amount, r.requested_at, o.external_id, o.customer_id, "
    "EXISTS (SELECT 1 FROM recon_claims c WHERE c.kind = 'refund' AND c.reference = r.reference) "
    "FROM refunds r JOIN order_summary o ON o.id = r.order_id "
    "WHERE r.status IN ('approved', 'paid') AND (r.reference = ANY(%(refs)s) OR o.external_id = ANY(%(orders)s))"
)


class ReadModelSource:
    """`application.ports.ReconciliationSource` over the reconciliation, refunds and order read models."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    def candidates(self, references: list[str], orders: list[str]) -> list[Any]:
        with self.pool.connection() as conn:
            rows = conn.execute(CANDIDATES, {"refs": references, "orders": [o for o in orders if o]}).fetchall()
        return [
            Candidate(
                reference=r[0],
                kind=r[1],
                amount=Decimal(r[2]),
                occurred_on=r[3].date(),
                order_external_id=r[4],
                customer_id=r[5],
                claimed=bool(r[6]),
            )
            for r in rows
        ]

    def refund_ids(self, references: list[str]) -> dict[str, str]:
        with self.pool.connection() as conn:
            rows = conn.execute("SELECT reference, id FROM refunds WHERE reference = ANY(%s)", (references,)).fetchall()
        return {r[0]: str(r[1]) for r in rows}

    def unclaimed_payments(self, before: Any) -> list[dict[str, Any]]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT p.reference, p.order_id, p.amount, p.recorded_at FROM recon_payments p "
                "WHERE p.recorded_at < %s AND NOT EXISTS (SELECT 1 FROM recon_claims c "
                "WHERE c.kind = 'payment' AND c.reference = p.reference) ORDER BY p.recorded_at LIMIT 1000",
                (before,),
            ).fetchall()
        return [
            {"reference": r[0], "order_id": str(r[1]), "amount": f"{r[2]:.2f}", "recorded_at": r[3].isoformat()}
            for r in rows
        ]


def rules_for(settings: Settings, provider: str) -> Rules:
    """The matching rules for a provider: tolerance, and its expected fee from SHOPOPS_PROVIDER_FEES."""
    fees: dict[str, dict[str, str]] = json.loads(settings.shopops_provider_fees or "{}")
    fee = fees.get(provider)
    return Rules(
        tolerance=settings.shopops_match_tolerance,
        fee_rate=Decimal(str(fee["rate"])) if fee and "rate" in fee else None,
        fee_fixed=Decimal(str(fee.get("fixed", "0"))) if fee else Decimal(0),
    )


def wait_for_read_models(pool: Pool, position: int, timeout: float = 10.0) -> None:
    """Block until the read models reconciliation reads have processed `position`; TimeoutError after
    `timeout` (matching on stale read models could miss a payment: the worker's job retries later)."""
    deadline = time.monotonic() + timeout
    query = (
        "SELECT min(t) FROM (SELECT max(notification_id) t FROM reconciliation_tracking UNION ALL "
        "SELECT max(notification_id) FROM refunds_tracking UNION ALL "
        "SELECT max(notification_id) FROM order_summary_tracking) x"
    )
    while time.monotonic() < deadline:
        with pool.connection() as conn:
            row = conn.execute(query).fetchone()
        if row and row[0] is not None and row[0] >= position:
            return
        time.sleep(0.05)
    raise TimeoutError(f"the reconciliation read models are behind position {position}; retry later")


def reconcile(app: ShopOps, pool: Pool, settings: Settings, sid: UUID, position: int, meta: Meta) -> Result:
    """Reconcile one imported payout once the read models are at its import position."""
    payout = app.get_aggregate(sid)
    wait_for_read_models(pool, position)
    return app.reconcile_settlement(sid, ReadModelSource(pool), rules_for(settings, payout.provider), meta)


def raise_unmatched_payments(app: ShopOps, pool: Pool, settings: Settings, meta: Meta) -> int:
    """The scheduled check: payments older than SHOPOPS_SETTLEMENT_GRACE_DAYS that no settlement covers."""
    before = datetime.now(UTC) - timedelta(days=settings.shopops_settlement_grace_days)
    return app.raise_unmatched_payments(ReadModelSource(pool), before, meta)


def payout_date(value: str) -> date:
    return date.fromisoformat(value[:10])
