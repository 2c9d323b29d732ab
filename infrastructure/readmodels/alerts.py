"""Read model `alerts`: each (kind, subject) with its current occurrence; the SSE stream follows `position`."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from psycopg import Cursor

from domain.alert import Alert
from infrastructure.readmodels.base import Projection
from infrastructure.readmodels.business_time import business_time

projection = Projection("alerts", ("alerts",))
on = projection.on


@on(Alert.Created)
def created(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "INSERT INTO alerts (id, kind, severity, subject, status, raised_at, inputs, departments, occurrence, "
        "version, position, updated_at) VALUES (%s, %s, 'warning', %s, 'new', %s, '{}', '{}', 0, %s, %s, %s)",
        (
            event.originator_id,
            event.kind,
            event.subject,
            business_time(event),
            event.originator_version,
            position,
            business_time(event),
        ),
    )


@on(Alert.Raised)
def raised(cur: Cursor[Any], event: Any, position: int) -> None:
    _touch(
        cur,
        event,
        position,
        "status = 'open', severity = %s, inputs = %s, departments = %s, raised_at = %s, acknowledged_at = NULL, "
        "resolved_at = NULL, note = NULL, occurrence = occurrence + 1",
        (event.severity, json.dumps(event.inputs, default=str), list(event.departments), business_time(event)),
    )


@on(Alert.Acknowledged)
def acknowledged(cur: Cursor[Any], event: Any, position: int) -> None:
    _touch(
        cur,
        event,
        position,
        "status = 'acknowledged', acknowledged_at = %s, note = %s",
        (business_time(event), event.note),
    )


@on(Alert.Resolved)
def resolved(cur: Cursor[Any], event: Any, position: int) -> None:
    note = event.note if not event.automatic else (event.note or "condition cleared")
    _touch(cur, event, position, "status = 'resolved', resolved_at = %s, note = %s", (business_time(event), note))


def _touch(cur: Cursor[Any], event: Any, position: int, assignments: str, params: tuple[Any, ...]) -> None:
    cur.execute(
        f"UPDATE alerts SET {assignments}, version = %s, position = %s, updated_at = %s WHERE id = %s",  # noqa: S608
        (*params, event.originator_version, position, business_time(event), event.originator_id),
    )


# ---- queries (asyncpg) -----------------------------------------------------------------------------------

COLUMNS = (
    "id, kind, severity, subject, status, raised_at, acknowledged_at, resolved_at, inputs, departments, note, "
    "occurrence, version, position"
)
# Who sees which alerts (reliability.md v1.1): None = every kind.
VISIBLE_KINDS: dict[str, frozenset[str] | None] = {
    "admin": None,
    "ops": None,
    "auditor": None,
    "warehouse": frozenset({"low_stock", "stockout"}),
    "support": frozenset({"sla_breach"}),
    "finance": frozenset({"reconciliation_exception"}),
}


def visible_kinds(roles: tuple[str, ...]) -> list[str] | None:
    """The kinds these roles may see (None: all); an empty list: none."""
    kinds: set[str] = set()
    for role in roles:
        if role not in VISIBLE_KINDS:
            continue
        allowed = VISIBLE_KINDS[role]
        if allowed is None:
            return None
        kinds |= allowed
    return sorted(kinds)


def view(row: Any) -> dict[str, Any]:
    inputs = row["inputs"]
    return {
        "id": str(row["id"]),
        "kind": row["kind"],
        "severity": row["severity"],
        "subject": row["subject"],
        "status": row["status"],
        "raised_at": row["raised_at"].isoformat(),
        "acknowledged_at": row["acknowledged_at"].isoformat() if row["acknowledged_at"] else None,
        "resolved_at": row["resolved_at"].isoformat() if row["resolved_at"] else None,
        "inputs": json.loads(inputs) if isinstance(inputs, str) else inputs,
        "departments": list(row["departments"]),
        "note": row["note"],
        "occurrence": row["occurrence"],
        "version": row["version"],
        "position": row["position"],
    }


SCOPE = (
    "status <> 'new' AND ($1::text[] IS NULL OR kind = ANY($1::text[])) AND ($2::text[] IS NULL OR "
    "kind NOT IN ('low_stock', 'stockout') OR split_part(subject, '/', 2) = ANY($2::text[]))"
)


async def list_alerts(
    db: Any, kinds: list[str] | None, warehouses: list[str] | None, status: str | None, kind: str | None, limit: int
) -> list[dict[str, Any]]:
    """Newest first. `status=open` means open or acknowledged (not yet resolved)."""
    rows = await db.fetch(
        f"SELECT {COLUMNS} FROM alerts WHERE {SCOPE} AND ($3::text IS NULL OR kind = $3) AND ($4::text IS NULL "  # noqa: S608
        "OR status = $4 OR ($4 = 'open' AND status = 'acknowledged')) ORDER BY raised_at DESC, id LIMIT $5",
        kinds,
        warehouses,
        kind,
        status,
        limit,
    )
    return [view(r) for r in rows]


async def get_alert(db: Any, aid: UUID) -> dict[str, Any] | None:
    row = await db.fetchrow(f"SELECT {COLUMNS} FROM alerts WHERE id = $1 AND status <> 'new'", aid)  # noqa: S608
    return view(row) if row else None


async def changed_since(
    db: Any, position: int, kinds: list[str] | None, warehouses: list[str] | None
) -> list[dict[str, Any]]:
    """Alerts whose latest change is after `position`, oldest change first (the SSE stream's feed)."""
    rows = await db.fetch(
        f"SELECT {COLUMNS} FROM alerts WHERE {SCOPE} AND position > $3 ORDER BY position LIMIT 200",  # noqa: S608
        kinds,
        warehouses,
        position,
    )
    return [view(r) for r in rows]


async def latest_position(db: Any) -> int:
    return int(await db.fetchval("SELECT coalesce(max(position), 0) FROM alerts"))
