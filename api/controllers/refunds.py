"""Refunds: requested against an order (never more than paid − refunded), approved at once below the
threshold, else by a second person with `finance` or `admin` (the requester's own approval is 403 four_eyes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody

from api.idempotency import IDEMPOTENT
from api.params import DEFAULT_LIMIT, Cmds, Cursor, Db, Filter, Limit, found
from api.roles import REFUND_DECIDE, REFUND_READ, REFUND_REQUEST
from api.runtime import ApiRequest, Commands, etag
from api.schemas import quantities
from api.schemas_money import DecisionIn, RefundIn, RefundOut, refund_view
from api.views import Page, page
from application.base import Result
from infrastructure.readmodels import refunds

PRIVILEGED = frozenset({"admin", "ops", "finance"})


def _respond(result: Result, status_code: int) -> Response[RefundOut]:
    return Response(refund_view(result), status_code=status_code, headers=etag(result.aggregate.version))


async def require_ticket_held(request: ApiRequest, commands: Commands, ticket_id: UUID | None) -> None:
    """Support acts only through a ticket it holds (assigned to it); the other roles act on any order."""
    if PRIVILEGED.intersection(request.user.roles):
        return
    if ticket_id is None:
        raise PermissionDeniedException("support requests refunds through a ticket it holds (ticket_id)")
    ticket = await commands.load(commands.app.ticket, ticket_id)
    if ticket.assignee != request.user.username:
        raise PermissionDeniedException("this ticket is not assigned to you")


class RefundController(Controller):
    path = "/"
    tags = ("money",)

    @post("/orders/{order_id:uuid}/refunds", guards=[REFUND_REQUEST], middleware=IDEMPOTENT, status_code=201)
    async def request_refund(
        self, request: ApiRequest, order_id: FromPath[UUID], data: JSONBody[RefundIn], commands: Cmds
    ) -> Response[RefundOut]:
        """201 `approved` or `pending_approval` (above SHOPOPS_REFUND_APPROVAL_ABOVE); 409 over paid − refunded."""
        await require_ticket_held(request, commands, data.ticket_id)
        details: dict[str, Any] = {
            "reason": data.reason,
            "lines": [{"sku": s, "quantity": q} for s, q in quantities(data.lines).items()] if data.lines else [],
            "reference": data.reference,
            "ticket_id": str(data.ticket_id) if data.ticket_id else None,
        }
        result = await commands.run(
            commands.app.request_refund, order_id, Decimal(data.amount.amount), data.amount.currency, details
        )
        return _respond(result, 201)

    @post("/refunds/{refund_id:uuid}/approve", guards=[REFUND_DECIDE], status_code=200)
    async def approve(
        self, refund_id: FromPath[UUID], data: JSONBody[DecisionIn], commands: Cmds
    ) -> Response[RefundOut]:
        """403 `four_eyes` when the approver is the requester; 409 when it is not awaiting approval."""
        return _respond(await commands.run(commands.app.approve_refund, refund_id, data.note), 200)

    @post("/refunds/{refund_id:uuid}/reject", guards=[REFUND_DECIDE], status_code=200)
    async def reject(
        self, refund_id: FromPath[UUID], data: JSONBody[DecisionIn], commands: Cmds
    ) -> Response[RefundOut]:
        return _respond(await commands.run(commands.app.reject_refund, refund_id, data.note), 200)

    @get("/refunds/{refund_id:uuid}", guards=[REFUND_READ])
    async def get_refund(self, refund_id: FromPath[UUID], db: Db) -> Response[RefundOut]:
        return found(await refunds.get_refund(db, refund_id), RefundOut, "refund")

    @get("/refunds", guards=[REFUND_READ])
    async def list_refunds(
        self,
        db: Db,
        status: Filter = None,
        order_id: FromQuery[UUID | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[RefundOut]:
        rows = await refunds.list_refunds(db, status=status, order_id=order_id, limit=limit, cursor=cursor)
        return page(rows, RefundOut)
