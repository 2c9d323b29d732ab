"""Read model `refunds`: every refund with its status, requester, decision and payout (money, D12)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor

from domain.refund import Refund
from infrastructure.readmodels.base import Projection, decode_cursor, money, next_cursor

projection = Projection("refunds", ("refunds",))
on = projection.on


@on(Refund.Created)
def requested(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "INSERT INTO refunds (id, order_id, amount, currency, status, reason, lines, reference, ticket_id, return_id, "
        "requested_by, version, position, requested_at, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            event.originator_id,
            UUID(event.order_id),
            Decimal(event.amount),
            event.currency,
            event.status,
            event.reason,
            json.dumps(event.lines),
            event.reference,
            UUID(event.ticket_id) if event.ticket_id else None,
            UUID(event.return_id) if event.return_id else None,
            json.dumps(event.requested_by),
            event.originator_version,
            position,
            event.timestamp,
            event.timestamp,
        ),
    )


@on(Refund.Approved, Refund.Rejected)
def decided(cur: Cursor[Any], event: Any, position: int) -> None:
    status = "approved" if isinstance(event, Refund.Approved) else "rejected"
    _update(
        cur,
        event,
        position,
        "status = %s, decided_by = %s, note = %s",
        (status, json.dumps(event.approver), event.note),
    )


@on(Refund.Paid)
def paid(cur: Cursor[Any], event: Any, position: int) -> None:
    payout = {"provider": event.provider, "payout_id": event.payout_id}
    _update(cur, event, position, "status = 'paid', payout = %s", (json.dumps(payout),))


def _update(cur: Cursor[Any], event: Any, position: int, assignments: str, params: tuple[Any, ...]) -> None:
    cur.execute(
        f"UPDATE refunds SET {assignments}, version = %s, position = %s, updated_at = %s WHERE id = %s",  # noqa: S608
        (*params, event.originator_version, position, event.timestamp, event.originator_id),
    )


# ---- queries (asyncpg) ---------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def refund_row(row: Any) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "order_id": str(row["order_id"]),
        "amount": money(row["amount"], row["currency"]),
        "status": row["status"],
        "reason": row["reason"],
        "lines": _json(row["lines"]),
        "reference": row["reference"],
        "ticket_id": str(row["ticket_id"]) if row["ticket_id"] else None,
        "return_id": str(row["return_id"]) if row["return_id"] else None,
        "requested_by": _json(row["requested_by"]),
        "decided_by": _json(row["decided_by"]),
        "note": row["note"],
        "version": row["version"],
        "position": row["position"],
        "requested_at": row["requested_at"].isoformat(),
    }


async def get_refund(db: Any, refund_id: UUID) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT * FROM refunds WHERE id = $1", refund_id)
    return refund_row(row) if row else None


async def list_refunds(
    db: Any, *, status: str | None = None, order_id: UUID | None = None, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Oldest first (requested_at, id)."""
    after = decode_cursor(cursor, 2)
    rows = await db.fetch(
        "SELECT * FROM refunds WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR order_id = $2) "
        "AND ($3::timestamptz IS NULL OR (requested_at, id) > ($3::timestamptz, $4::uuid)) "
        "ORDER BY requested_at, id LIMIT $5",
        status,
        order_id,
        datetime.fromisoformat(after[0]) if after else None,
        UUID(after[1]) if after else None,
        limit,
    )
    items = [refund_row(r) for r in rows]
    return items, next_cursor(items, limit, "requested_at", "id")
