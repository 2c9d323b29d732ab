"""Read model `ticket_queue` (+ `ticket_agents`): tickets with SLA deadlines, and agents with their load."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import Cursor

from domain.replies import detect_language
from domain.ticket import Agent, Ticket, sla_deadlines
from infrastructure.readmodels.base import Pool, Projection, decode_cursor, next_cursor, query
from infrastructure.readmodels.business_time import business_time

projection = Projection("ticket_queue", ("ticket_queue", "ticket_agents"))
on = projection.on


def _touch(cur: Cursor[Any], event: Any, position: int, assignments: str = "", params: tuple[Any, ...] = ()) -> None:
    prefix = f"{assignments}, " if assignments else ""
    cur.execute(
        f"UPDATE ticket_queue SET {prefix}version = %s, position = %s, updated_at = %s WHERE id = %s",  # noqa: S608
        (*params, event.originator_version, position, event.timestamp, event.originator_id),
    )


@on(Ticket.Created)
def opened(cur: Cursor[Any], event: Any, position: int) -> None:
    first_due, resolution_due = sla_deadlines(business_time(event), "normal")
    cur.execute(
        "INSERT INTO ticket_queue (id, status, category, priority, customer_id, order_id, channel, subject, language, "
        "opened_at, first_response_due, resolution_due, version, position, updated_at) "
        "VALUES (%s, 'open', 'other', 'normal', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            event.originator_id,
            event.customer_id,
            event.order_id,
            event.channel,
            event.subject,
            detect_language(f"{event.subject}\n{event.body}"),
            business_time(event),
            first_due,
            resolution_due,
            event.originator_version,
            position,
            event.timestamp,
        ),
    )


@on(Ticket.Replied)
def replied(cur: Cursor[Any], event: Any, position: int) -> None:
    if event.author == "agent":
        _touch(
            cur,
            event,
            position,
            "status = 'waiting_customer', first_response_at = coalesce(first_response_at, "
            "%s), waiting_since = coalesce(waiting_since, %s)",
            (business_time(event), business_time(event)),
        )
    else:
        _resume_clock(cur, event)
        _touch(cur, event, position, "status = CASE WHEN assignee IS NULL THEN 'open' ELSE 'assigned' END")


def _resume_clock(cur: Cursor[Any], event: Any) -> None:
    cur.execute(
        "UPDATE ticket_queue SET paused_seconds = paused_seconds + extract(epoch FROM %s - waiting_since), "
        "resolution_due = resolution_due + (%s - waiting_since), waiting_since = NULL "
        "WHERE id = %s AND waiting_since IS NOT NULL",
        (business_time(event), business_time(event), event.originator_id),
    )


@on(Ticket.Assigned)
def assigned(cur: Cursor[Any], event: Any, position: int) -> None:
    _touch(
        cur,
        event,
        position,
        "assignee = %s, status = CASE WHEN status = 'open' THEN 'assigned' ELSE status END",
        (event.agent_id,),
    )


@on(Ticket.Resolved)
def resolved(cur: Cursor[Any], event: Any, position: int) -> None:
    _resume_clock(cur, event)
    _touch(cur, event, position, "status = 'resolved', resolved_at = %s", (business_time(event),))


@on(Ticket.Reopened)
def reopened(cur: Cursor[Any], event: Any, position: int) -> None:
    _touch(
        cur, event, position, "resolved_at = NULL, status = CASE WHEN assignee IS NULL THEN 'open' ELSE 'assigned' END"
    )


@on(Ticket.ActionTaken)
def action_taken(cur: Cursor[Any], event: Any, position: int) -> None:
    """Money, after-sales: the action itself is in the `after_sales` read model; the ticket's version moves."""
    _touch(cur, event, position)


@on(Ticket.Classified)
def classified(cur: Cursor[Any], event: Any, position: int) -> None:
    classification = {
        "category": event.category,
        "confidence": event.confidence,
        "model": event.model,
        "version": event.version,
        "rule": event.rule,
    }
    _reprioritise(
        cur,
        event,
        position,
        event.priority,
        "category = %s, classification = %s",
        (event.category, json.dumps(classification)),
    )


@on(Ticket.Recategorised)
def recategorised(cur: Cursor[Any], event: Any, position: int) -> None:
    """The agent's category is the ticket's category from now on, and a label the classifier learns from."""
    _touch(cur, event, position, "category = %s, labelled_at = %s", (event.category, event.timestamp))


@on(Ticket.Escalated)
def escalated(cur: Cursor[Any], event: Any, position: int) -> None:
    _reprioritise(
        cur, event, position, event.to_priority, "escalations = array_append(escalations, %s)", (event.breach,)
    )


def _reprioritise(
    cur: Cursor[Any], event: Any, position: int, priority: str, assignments: str, params: tuple[Any, ...]
) -> None:
    """Deadlines follow the priority: recomputed from the opening time, plus the time paused so far."""
    rows = query(cur, "SELECT opened_at, paused_seconds FROM ticket_queue WHERE id = %s", (event.originator_id,))
    if not rows:
        return
    row = rows[0]
    first_due, resolution_due = sla_deadlines(row[0], priority)
    _touch(
        cur,
        event,
        position,
        f"{assignments}, priority = %s, first_response_due = %s, resolution_due = %s",
        (*params, priority, first_due, resolution_due + timedelta(seconds=row[1])),
    )


@on(Agent.Created)
def agent_registered(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "INSERT INTO ticket_agents (id, code, name, skills, capacity, online, version, position) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            event.originator_id,
            event.code,
            event.name,
            list(event.skills),
            event.capacity,
            event.online,
            event.originator_version,
            position,
        ),
    )


@on(Agent.Updated, Agent.TicketTaken, Agent.TicketReleased)
def agent_changed(cur: Cursor[Any], event: Any, position: int) -> None:
    if isinstance(event, Agent.Updated):
        cur.execute(
            "UPDATE ticket_agents SET name = %s, skills = %s, capacity = %s, online = %s WHERE id = %s",
            (event.name, list(event.skills), event.capacity, event.online, event.originator_id),
        )
    else:
        step = 1 if isinstance(event, Agent.TicketTaken) else -1
        cur.execute("UPDATE ticket_agents SET load = load + %s WHERE id = %s", (step, event.originator_id))
    cur.execute(
        "UPDATE ticket_agents SET version = %s, position = %s WHERE id = %s",
        (event.originator_version, position, event.originator_id),
    )


# ---- queries (asyncpg) ---------------------------------------------------------------------------------


def _ticket(row: Any, now: datetime) -> dict[str, Any]:
    paused_now = now - row["waiting_since"] if row["waiting_since"] else timedelta(0)
    resolution_due = row["resolution_due"] + paused_now
    open_ = row["status"] not in ("resolved", "closed")
    breached = (
        (row["first_response_at"] is None and open_ and now > row["first_response_due"])
        or (row["resolved_at"] is None and open_ and row["status"] != "waiting_customer" and now > resolution_due)
        or bool(row["escalations"])
    )
    return {
        "id": str(row["id"]),
        "status": row["status"],
        "category": row["category"],
        "priority": row["priority"],
        "assignee": row["assignee"],
        "order_id": str(row["order_id"]) if row["order_id"] else None,
        "customer_id": row["customer_id"],
        "channel": row["channel"],
        "subject": row["subject"],
        "sla": {
            "first_response_due": row["first_response_due"].isoformat(),
            "resolution_due": resolution_due.isoformat(),
            "breached": breached,
        },
        "escalations": list(row["escalations"]),
        "language": row["language"] or detect_language(row["subject"]),  # tickets projected before 0060
        "classification": _classification(row["classification"]),
        "version": row["version"],
        "position": row["position"],
        "opened_at": row["opened_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


def _classification(value: Any) -> dict[str, Any] | None:
    """The automatic decision as recorded (before v2 events it named no model: the rules made it)."""
    if value is None:
        return None
    stored = json.loads(value) if isinstance(value, str) else value
    return {
        "category": stored.get("category"),
        "confidence": stored.get("confidence"),
        "model": stored.get("model", "rules"),
        "version": stored.get("version", "builtin"),
    }


async def get_ticket(db: Any, ticket_id: UUID) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT * FROM ticket_queue WHERE id = $1", ticket_id)
    return _ticket(row, datetime.now(UTC)) if row else None


async def list_tickets(
    db: Any,
    *,
    status: str | None = None,
    assignee: str | None = None,
    category: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Oldest first (the queue order)."""
    after = decode_cursor(cursor, 2)
    rows = await db.fetch(
        "SELECT * FROM ticket_queue WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR assignee = $2) "
        "AND ($3::text IS NULL OR category = $3) "
        "AND ($4::timestamptz IS NULL OR (opened_at, id) > ($4::timestamptz, $5::uuid)) "
        "ORDER BY opened_at, id LIMIT $6",
        status,
        assignee,
        category,
        datetime.fromisoformat(after[0]) if after else None,
        UUID(after[1]) if after else None,
        limit,
    )
    now = datetime.now(UTC)
    items = [_ticket(r, now) for r in rows]
    return items, next_cursor(items, limit, "opened_at", "id")


def _agent(row: Any) -> dict[str, Any]:
    return {
        "id": row["code"],
        "name": row["name"],
        "skills": list(row["skills"]),
        "capacity": row["capacity"],
        "online": row["online"],
        "load": row["load"],
        "version": row["version"],
        "position": row["position"],
    }


async def get_agent(db: Any, code: str) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT * FROM ticket_agents WHERE code = $1", code)
    return _agent(row) if row else None


async def list_agents(
    db: Any, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    after = decode_cursor(cursor, 1)
    rows = await db.fetch(
        "SELECT * FROM ticket_agents WHERE ($1::text IS NULL OR code > $1) ORDER BY code LIMIT $2",
        after[0] if after else None,
        limit,
    )
    items = [_agent(r) for r in rows]
    return items, next_cursor(items, limit, "id")


# ---- for the workers (psycopg): where to look; every decision is re-checked on the aggregates ----


def agent_codes(pool: Pool) -> list[str]:
    with pool.connection() as conn:
        return [r[0] for r in conn.execute("SELECT code FROM ticket_agents ORDER BY code").fetchall()]


def waiting_tickets(pool: Pool, limit: int = 200) -> list[str]:
    """Unassigned open tickets, most urgent first, then oldest first."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT id FROM ticket_queue WHERE status = 'open' AND assignee IS NULL ORDER BY "
            "array_position(ARRAY['urgent', 'high', 'normal', 'low'], priority), opened_at, id LIMIT %s",
            (limit,),
        ).fetchall()
    return [str(r[0]) for r in rows]


def recent_ticket_count(pool: Pool, customer_id: str, exclude: str, days: int = 7) -> int:
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT count(*) FROM ticket_queue WHERE customer_id = %s AND id <> %s::uuid "
            "AND opened_at > now() - make_interval(days => %s)",
            (customer_id, exclude, days),
        ).fetchone()
    return int(row[0]) if row else 0


def breached_tickets(pool: Pool, limit: int = 500) -> list[tuple[str, str]]:
    """(ticket id, breach kind) for open tickets past a due time, as the read model sees them."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT id, 'first_response' FROM ticket_queue WHERE status NOT IN ('resolved', 'closed') "
            "AND first_response_at IS NULL AND first_response_due < now() "
            "UNION ALL SELECT id, 'resolution' FROM ticket_queue WHERE status NOT IN ('resolved', 'closed', "
            "'waiting_customer') AND resolution_due < now() LIMIT %s",
            (limit,),
        ).fetchall()
    return [(str(r[0]), r[1]) for r in rows]
