"""Read model `reconciliation`: recorded payments, claims (what settlements cover), payouts, matches and
exceptions; with the queries of the reconciliation endpoints."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor

from domain.order import Order
from domain.settlement import Claim, ReconException, Settlement
from infrastructure.readmodels.base import Projection, decode_cursor, money, next_cursor

TABLES = ("recon_payments", "recon_claims", "settlements", "recon_matches", "recon_exceptions")
projection = Projection("reconciliation", TABLES)
on = projection.on


@on(Order.PaymentRecorded)
def payment_recorded(cur: Cursor[Any], event: Any, position: int) -> None:  # noqa: ARG001 - handler signature
    cur.execute(
        "INSERT INTO recon_payments VALUES (%s, %s, %s, %s) ON CONFLICT (reference) DO NOTHING",
        (event.reference, event.originator_id, Decimal(event.amount), event.timestamp),
    )


@on(Claim.Created)
def claimed(cur: Cursor[Any], event: Any, position: int) -> None:  # noqa: ARG001 - handler signature
    settlement = UUID(event.settlement_id) if event.settlement_id else None
    cur.execute(
        "INSERT INTO recon_claims VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", (event.kind, event.reference, settlement)
    )


@on(Settlement.Created)
def imported(cur: Cursor[Any], event: Any, position: int) -> None:
    fees = sum((abs(Decimal(ln.get("fee") or 0)) for ln in event.lines), Decimal(0))
    fees += sum((abs(Decimal(ln["amount"])) for ln in event.lines if ln["type"] == "fee"), Decimal(0))
    cur.execute(
        "INSERT INTO settlements VALUES (%s, %s, %s, %s, %s, %s, %s, %s, false, %s)",
        (
            event.originator_id,
            event.provider,
            event.payout_id,
            date.fromisoformat(event.payout_date),
            Decimal(event.payout_amount),
            event.currency,
            fees,
            len(event.lines),
            position,
        ),
    )


@on(Settlement.Reconciled)
def reconciled(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "UPDATE settlements SET reconciled = true, position = %s WHERE id = %s", (position, event.originator_id)
    )
    for number, match in enumerate(event.matches):
        cur.execute(
            "INSERT INTO recon_matches VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (event.originator_id, number, match["kind"], Decimal(match["amount"]), match["score"], json.dumps(match)),
        )


@on(ReconException.Created)
def exception_raised(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "INSERT INTO recon_exceptions (id, kind, status, settlement_id, settlement_line, payment, difference, "
        "candidates, raised_at, version, position) VALUES (%s, %s, 'open', %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            event.originator_id,
            event.kind,
            UUID(event.settlement_id) if event.settlement_id else None,
            json.dumps(event.settlement_line) if event.settlement_line is not None else None,
            json.dumps(event.payment) if event.payment is not None else None,
            Decimal(event.difference),
            json.dumps(event.candidates),
            event.timestamp,
            event.originator_version,
            position,
        ),
    )


@on(ReconException.Resolved)
def exception_resolved(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "UPDATE recon_exceptions SET status = 'resolved', resolution = %s, match_to = %s, note = %s, "
        "resolved_by = %s, version = %s, position = %s WHERE id = %s",
        (
            event.resolution,
            event.match_to,
            event.note,
            json.dumps(event.actor),
            event.originator_version,
            position,
            event.originator_id,
        ),
    )


# ---- queries (asyncpg) ---------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def exception_row(row: Any) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "kind": row["kind"],
        "status": row["status"],
        "settlement_id": str(row["settlement_id"]) if row["settlement_id"] else None,
        "settlement_line": _json(row["settlement_line"]),
        "payment": _json(row["payment"]),
        "difference": f"{row['difference']:.2f}",
        "candidates": _json(row["candidates"]),
        "resolution": row["resolution"],
        "match_to": row["match_to"],
        "note": row["note"],
        "raised_at": row["raised_at"].isoformat(),
        "version": row["version"],
        "position": row["position"],
    }


async def list_exceptions(
    db: Any, *, status: str | None, kind: str | None, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    after = decode_cursor(cursor, 2)
    rows = await db.fetch(
        "SELECT * FROM recon_exceptions WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR kind = $2) "
        "AND ($3::timestamptz IS NULL OR (raised_at, id) > ($3::timestamptz, $4::uuid)) "
        "ORDER BY raised_at, id LIMIT $5",
        status,
        kind,
        datetime.fromisoformat(after[0]) if after else None,
        UUID(after[1]) if after else None,
        limit,
    )
    items = [exception_row(r) for r in rows]
    return items, next_cursor(items, limit, "raised_at", "id")


async def summary(db: Any, start: date | None, end: date | None) -> dict[str, Any]:
    """Matched count and amount, open exceptions by kind, fees and payouts of payouts dated in [from, to]."""
    window = "($1::date IS NULL OR s.payout_date >= $1) AND ($2::date IS NULL OR s.payout_date <= $2)"
    matched = await db.fetchrow(
        f"SELECT count(*) AS n, coalesce(sum(m.amount), 0) AS amount FROM recon_matches m "  # noqa: S608
        f"JOIN settlements s ON s.id = m.settlement_id WHERE {window}",
        start,
        end,
    )
    payouts = await db.fetchrow(
        f"SELECT count(*) AS n, coalesce(sum(payout_amount), 0) AS amount, coalesce(sum(fees), 0) AS fees, "  # noqa: S608
        f"min(currency) AS currency FROM settlements s WHERE {window}",
        start,
        end,
    )
    kinds = await db.fetch("SELECT kind, count(*) AS n FROM recon_exceptions WHERE status = 'open' GROUP BY kind")
    currency = payouts["currency"] or "EUR"
    by_kind = {r["kind"]: r["n"] for r in kinds}
    return {
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "matched": {"count": matched["n"], "amount": money(matched["amount"], currency)},
        "exceptions": {"open": sum(by_kind.values()), "by_kind": by_kind},
        "fees": money(payouts["fees"], currency),
        "payouts": {"count": payouts["n"], "amount": money(payouts["amount"], currency)},
    }


async def get_settlement(db: Any, sid: UUID) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT * FROM settlements WHERE id = $1", sid)
    if row is None:
        return None
    return {
        "id": str(row["id"]),
        "provider": row["provider"],
        "payout_id": row["payout_id"],
        "payout_date": row["payout_date"].isoformat(),
        "payout_amount": money(row["payout_amount"], row["currency"]),
        "fees": money(row["fees"], row["currency"]),
        "lines": row["line_count"],
        "reconciled": row["reconciled"],
        "position": row["position"],
    }
