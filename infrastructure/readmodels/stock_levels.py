"""Read model `stock_levels` (+ `stock_transfers`, `replenishments`): quantities per SKU × warehouse."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor

from domain.costing import line_cost
from domain.replenishment import Replenishment
from domain.stock import Stock, Transfer
from infrastructure.readmodels.base import Projection, decode_cursor, money, next_cursor

projection = Projection("stock_levels", ("stock_levels", "stock_transfers", "replenishments"))
on = projection.on

# Each stock event as the column changes it makes: (on_hand, reserved, inbound, on_order).
DELTAS: dict[type, Any] = {
    Stock.Received: lambda e: (e.quantity, 0, 0, 0),
    Stock.Adjusted: lambda e: (e.delta, 0, 0, 0),
    Stock.Reserved: lambda e: (0, e.quantity, 0, 0),
    Stock.Released: lambda e: (0, -e.quantity, 0, 0),
    Stock.Shipped: lambda e: (-e.quantity, -e.from_reservation, 0, 0),
    Stock.Restocked: lambda e: (e.quantity, 0, 0, 0),
    Stock.TransferDispatched: lambda e: (-e.quantity, 0, 0, 0),
    Stock.TransferExpected: lambda e: (0, 0, e.quantity, 0),
    Stock.TransferReceived: lambda e: (e.quantity, 0, -e.quantity, 0),
    Stock.ReplenishmentOpened: lambda e: (0, 0, 0, e.quantity),
}


@on(Stock.Created)
def opened(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "INSERT INTO stock_levels (id, sku, warehouse, version, position, updated_at) VALUES (%s, %s, %s, %s, %s, %s)",
        (event.originator_id, event.sku, event.warehouse, event.originator_version, position, event.timestamp),
    )


@on(*DELTAS)
def moved(cur: Cursor[Any], event: Any, position: int) -> None:
    on_hand, reserved, inbound, on_order = DELTAS[type(event)](event)
    _update(
        cur,
        event,
        position,
        "on_hand = on_hand + %s, reserved = reserved + %s, inbound = inbound + %s, on_order = on_order + %s",
        (on_hand, reserved, inbound, on_order),
    )
    average = getattr(event, "average_cost", None)
    if average is not None:  # money: arrivals carry the new moving-average unit cost
        _update(cur, event, position, "unit_cost = %s, currency = %s", (Decimal(average), event.currency))


# ---- checkout holds (domain/hold.py): held units are part of `reserved` while the hold is active ----------
HELD: dict[type, Any] = {
    Stock.HoldPlaced: lambda e: (e.quantity, e.quantity),
    Stock.HoldEnded: lambda e: (-e.quantity, -e.quantity),
    Stock.HoldConverted: lambda e: (-e.quantity, 0),
}


@on(*HELD)
def held(cur: Cursor[Any], event: Any, position: int) -> None:
    held_delta, reserved_delta = HELD[type(event)](event)
    _update(cur, event, position, "held = held + %s, reserved = reserved + %s", (held_delta, reserved_delta))


@on(Stock.ReplenishmentClosed)
def replenishment_closed(cur: Cursor[Any], event: Any, position: int) -> None:
    _update(cur, event, position, "on_order = 0", ())


@on(Stock.PolicySet)
def policy_set(cur: Cursor[Any], event: Any, position: int) -> None:
    policy = {
        "safety_factor": event.safety_factor,
        "lead_time_days": event.lead_time_days,
        "review_days": event.review_days,
        "min_order_qty": event.min_order_qty,
        "safety_method": event.safety_method,
        "service_level": event.service_level,
    }
    _update(cur, event, position, "policy = %s", (json.dumps(policy),))


def _update(cur: Cursor[Any], event: Any, position: int, assignments: str, params: tuple[Any, ...]) -> None:
    cur.execute(
        f"UPDATE stock_levels SET {assignments}, version = %s, position = %s, updated_at = %s WHERE id = %s",  # noqa: S608
        (*params, event.originator_version, position, event.timestamp, event.originator_id),
    )


@on(Transfer.Created)
def transfer_dispatched(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "INSERT INTO stock_transfers VALUES (%s, %s, %s, %s, %s, 'in_transit', %s, %s, %s, %s)",
        (
            event.originator_id,
            event.sku,
            event.from_warehouse,
            event.to_warehouse,
            event.quantity,
            event.originator_version,
            position,
            event.timestamp,
            event.timestamp,
        ),
    )


@on(Transfer.Received)
def transfer_received(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "UPDATE stock_transfers SET status = 'received', version = %s, position = %s, updated_at = %s WHERE id = %s",
        (event.originator_version, position, event.timestamp, event.originator_id),
    )


@on(Replenishment.Created)
def replenishment_opened(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "INSERT INTO replenishments VALUES (%s, %s, %s, %s, %s, %s, %s, 'open', %s, %s, %s, %s, %s)",
        (
            event.originator_id,
            event.sku,
            event.warehouse,
            event.quantity,
            event.kind,
            event.source_warehouse,
            event.reason,
            json.dumps(event.decision, default=str),
            event.originator_version,
            position,
            event.timestamp,
            event.timestamp,
        ),
    )


@on(Replenishment.Ordered, Replenishment.Received, Replenishment.Cancelled)
def replenishment_moved(cur: Cursor[Any], event: Any, position: int) -> None:
    status = {Replenishment.Ordered: "ordered", Replenishment.Received: "received"}.get(type(event), "cancelled")
    cur.execute(
        "UPDATE replenishments SET status = %s, version = %s, position = %s, updated_at = %s WHERE id = %s",
        (status, event.originator_version, position, event.timestamp, event.originator_id),
    )


# ---- queries (asyncpg) ---------------------------------------------------------------------------------


def _view(row: Any) -> dict[str, Any]:
    policy = row["policy"]
    return {
        "sku": row["sku"],
        "warehouse": row["warehouse"],
        "on_hand": row["on_hand"],
        "reserved": row["reserved"],
        "held": row["held"],
        "available": row["on_hand"] - row["reserved"],
        "inbound": row["inbound"] + row["on_order"],
        "policy": json.loads(policy) if isinstance(policy, str) else policy,
        **stock_value(row["on_hand"], row["unit_cost"], row["currency"]),
        "version": row["version"],
        "position": row["position"],
    }


def stock_value(on_hand: int, unit_cost: Decimal | None, currency: str | None) -> dict[str, Any]:
    """`unit_cost` (moving average) and `value` (on_hand × unit_cost), null while no cost is known."""
    if unit_cost is None or not currency:
        return {"unit_cost": None, "value": None}
    return {"unit_cost": cost_money(unit_cost, currency), "value": money(line_cost(on_hand, unit_cost), currency)}


def cost_money(amount: Decimal, currency: str) -> dict[str, str]:
    """A unit cost: two decimals, or up to four when the average needs them."""
    text = f"{amount:.4f}".rstrip("0")
    whole, _, fraction = text.partition(".")
    return {"amount": f"{whole}.{fraction.ljust(2, '0')}", "currency": currency}


async def get_stock(db: Any, sku: str, warehouse: str) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT * FROM stock_levels WHERE sku = $1 AND warehouse = $2", sku, warehouse)
    return _view(row) if row else None


async def list_stock(
    db: Any,
    *,
    sku: str | None = None,
    warehouse: str | None = None,
    warehouses: list[str] | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    after = decode_cursor(cursor, 2)
    rows = await db.fetch(
        "SELECT * FROM stock_levels WHERE ($1::text IS NULL OR sku = $1) AND ($2::text IS NULL OR warehouse = $2) "
        "AND ($3::text[] IS NULL OR warehouse = ANY($3::text[])) AND ($4::text IS NULL OR (sku, warehouse) > ($4, $5)) "
        "ORDER BY sku, warehouse LIMIT $6",
        sku,
        warehouse,
        warehouses,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    items = [_view(r) for r in rows]
    return items, next_cursor(items, limit, "sku", "warehouse")


async def get_transfer(db: Any, transfer_id: UUID) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT * FROM stock_transfers WHERE id = $1", transfer_id)
    if row is None:
        return None
    return {
        k: row[k] for k in ("sku", "from_warehouse", "to_warehouse", "quantity", "status", "version", "position")
    } | {"id": str(row["id"])}


async def list_replenishments(
    db: Any, *, status: str | None = None, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    after = decode_cursor(cursor, 1)
    rows = await db.fetch(
        "SELECT * FROM replenishments WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR id > $2) "
        "ORDER BY id LIMIT $3",
        status,
        UUID(after[0]) if after else None,
        limit,
    )
    items = [
        {
            "id": str(r["id"]),
            "sku": r["sku"],
            "warehouse": r["warehouse"],
            "quantity": r["quantity"],
            "kind": r["kind"],
            "source_warehouse": r["source_warehouse"],
            "reason": r["reason"],
            "status": r["status"],
            "decision": json.loads(r["decision"]) if isinstance(r["decision"], str) else r["decision"],
            "version": r["version"],
            "position": r["position"],
        }
        for r in rows
    ]
    return items, next_cursor(items, limit, "id")
