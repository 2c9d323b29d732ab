"""Settlements and reconciliation: import a provider payout (202; the same (provider, payout_id) again → 200,
nothing new), read the summary and the exceptions, resolve an exception with a note."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.exceptions import ServiceUnavailableException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody

from api.params import DEFAULT_LIMIT, Cmds, Cursor, Db, Filter, Limit
from api.roles import SETTLEMENT_READ, SETTLEMENT_WRITE
from api.runtime import etag
from api.schemas import Body, Text
from api.schemas_money import Reference, SettlementIn
from api.views import Out, Page, page
from domain.base import DomainError
from infrastructure.money.reconcile import reconcile
from infrastructure.readmodels import reconciliation


class AcceptedOut(Out, kw_only=True):
    id: UUID
    position: int | None = None


class ResolveIn(Body, kw_only=True):
    resolution: Literal["match", "write_off", "ignore"]
    match_to: Reference | None = None
    note: Text


class ExceptionOut(Out, kw_only=True):
    id: UUID
    kind: str
    status: str
    settlement_id: UUID | None = None
    settlement_line: dict[str, Any] | None = None
    payment: dict[str, Any] | None = None
    difference: str
    candidates: list[dict[str, Any]]
    resolution: str | None = None
    match_to: str | None = None
    note: str | None = None
    version: int
    position: int | None = None


def _checked_date(value: str) -> str:
    """An `occurred_at` that is a real date or time (year 0000 or 31 February are bad input, 422)."""
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00")) if len(value) > 10 else date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"occurred_at {value!r} is not a valid date or time") from None
    return value


def payout_body(data: SettlementIn) -> dict[str, Any]:
    """The payout as the application records it (amounts as decimal strings, dates as ISO text)."""
    return {
        "provider": data.provider,
        "payout_id": data.payout_id,
        "payout_date": data.payout_date.isoformat(),
        "payout_amount": data.payout_amount.amount,
        "currency": data.payout_amount.currency,
        "lines": [
            {
                "reference": line.reference,
                "type": line.type,
                "amount": line.amount,
                "fee": line.fee,
                "occurred_at": _checked_date(line.occurred_at),
                "order_external_id": line.order_external_id,
            }
            for line in data.lines
        ],
    }


class SettlementController(Controller):
    path = "/"
    tags = ("money",)

    @post(
        "/settlements",
        guards=[SETTLEMENT_WRITE],
        status_code=202,
        responses={200: ResponseSpec(AcceptedOut, description="the payout was imported before: nothing new")},
    )
    async def import_settlement(self, data: JSONBody[SettlementIn], commands: Cmds) -> Response[AcceptedOut]:
        """202 when the payout is new (matched before answering); 200 with the same id when it was imported."""
        result = await commands.run(commands.app.import_settlement, payout_body(data))
        if not result.created:
            return Response(AcceptedOut(id=result.aggregate.id, position=result.position), status_code=200)
        runtime = commands.runtime
        pool = runtime.container.pool
        if pool is None:
            raise ServiceUnavailableException("the event-store pool is not open")
        sid, position = result.aggregate.id, result.position or 0
        done = await runtime.call(reconcile, runtime.app, pool, runtime.settings, sid, position, commands.meta)
        return Response(AcceptedOut(id=result.aggregate.id, position=done.position or result.position), status_code=202)

    @get("/reconciliation/summary", guards=[SETTLEMENT_READ])
    async def summary(
        self, db: Db, from_: FromQuery[date | None] = None, to: FromQuery[date | None] = None
    ) -> dict[str, Any]:
        return await reconciliation.summary(db, from_, to)

    @get("/reconciliation/exceptions", guards=[SETTLEMENT_READ])
    async def exceptions(
        self, db: Db, status: Filter = None, kind: Filter = None, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Page[ExceptionOut]:
        rows = await reconciliation.list_exceptions(db, status=status, kind=kind, limit=limit, cursor=cursor)
        return page(rows, ExceptionOut)

    @post("/reconciliation/exceptions/{exception_id:uuid}/resolve", guards=[SETTLEMENT_WRITE], status_code=200)
    async def resolve(
        self, exception_id: FromPath[UUID], data: JSONBody[ResolveIn], commands: Cmds
    ) -> Response[dict[str, Any]]:
        result = await commands.run(
            commands.app.resolve_exception, exception_id, data.resolution, data.match_to, data.note
        )
        e = result.aggregate
        body = {
            "id": str(e.id),
            "kind": e.kind,
            "status": e.status,
            "resolution": e.resolution,
            "position": result.position,
        }
        return Response(body, headers=etag(e.version))
