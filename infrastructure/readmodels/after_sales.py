"""Read model `after_sales`: the actions started from tickets (refund, return, reship) with their links to the
ticket, the order, the refund and the replacement order — the ticket's after-sales timeline."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor

from domain.after_sales import AfterSalesAction
from domain.refund import Refund
from infrastructure.readmodels.base import Projection, money

projection = Projection("after_sales", ("after_sales_actions",))
on = projection.on


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


@on(AfterSalesAction.Created)
def started(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "INSERT INTO after_sales_actions (id, type, status, ticket_id, order_id, refund_id, replacement_order_id, "
        "lines, amount, currency, reason, requested_by, version, position, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            event.originator_id,
            event.type,
            event.status,
            UUID(event.ticket_id),
            UUID(event.order_id),
            _uuid(event.refund_id),
            _uuid(event.replacement_order_id),
            json.dumps(event.lines),
            Decimal(event.amount) if event.amount is not None else None,
            event.currency,
            event.reason,
            json.dumps(event.requested_by),
            event.originator_version,
            position,
            event.timestamp,
            event.timestamp,
        ),
    )


@on(AfterSalesAction.Received)
def received(cur: Cursor[Any], event: Any, position: int) -> None:
    _update(
        cur,
        event,
        position,
        "status = 'received', warehouse = %s, received = %s, written_off = %s, refund_id = coalesce(%s, refund_id)",
        (event.warehouse, json.dumps(event.lines), Decimal(event.written_off), _uuid(event.refund_id)),
    )


@on(AfterSalesAction.StatusChanged)
def status_changed(cur: Cursor[Any], event: Any, position: int) -> None:
    _update(cur, event, position, "status = %s", (event.status,))


@on(Refund.Created)
def refund_of_return(cur: Cursor[Any], event: Any, position: int) -> None:  # noqa: ARG001 - handler signature
    """A return's refund carries the return's id: the amount refunded is shown on the return."""
    if event.return_id:
        cur.execute(
            "UPDATE after_sales_actions SET amount = coalesce(amount, %s) WHERE id = %s",
            (Decimal(event.amount), UUID(event.return_id)),
        )


def _update(cur: Cursor[Any], event: Any, position: int, assignments: str, params: tuple[Any, ...]) -> None:
    cur.execute(
        f"UPDATE after_sales_actions SET {assignments}, version = %s, position = %s, updated_at = %s "  # noqa: S608
        "WHERE id = %s",
        (*params, event.originator_version, position, event.timestamp, event.originator_id),
    )


# ---- queries (asyncpg) ---------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def action_row(row: Any) -> dict[str, Any]:
    def text(key: str) -> str | None:
        return str(row[key]) if row[key] is not None else None

    return {
        "id": str(row["id"]),
        "type": row["type"],
        "status": row["status"],
        "ticket_id": str(row["ticket_id"]),
        "order_id": str(row["order_id"]),
        "refund_id": text("refund_id"),
        "replacement_order_id": text("replacement_order_id"),
        "lines": _json(row["lines"]),
        "amount": money(row["amount"], row["currency"]) if row["amount"] is not None else None,
        "reason": row["reason"],
        "warehouse": row["warehouse"],
        "received": _json(row["received"]),
        "written_off": money(row["written_off"], row["currency"]) if row["written_off"] is not None else None,
        "requested_by": _json(row["requested_by"]),
        "version": row["version"],
        "position": row["position"],
        "created_at": row["created_at"].isoformat(),
    }


async def get_action(db: Any, action_id: UUID) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT * FROM after_sales_actions WHERE id = $1", action_id)
    return action_row(row) if row else None


async def actions_of_ticket(db: Any, ticket_id: UUID) -> list[dict[str, Any]]:
    """The ticket's after-sales timeline, oldest first."""
    rows = await db.fetch(
        "SELECT * FROM after_sales_actions WHERE ticket_id = $1 ORDER BY created_at, id LIMIT 500", ticket_id
    )
    return [action_row(r) for r in rows]
