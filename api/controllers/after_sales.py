"""After-sales from tickets: refund, return (authorised → received → refunded) and reship actions, and the
receipt of returned goods with inspection (resellable restocked, damaged written off)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody

from api.controllers.refunds import require_ticket_held
from api.idempotency import IDEMPOTENT
from api.params import Cmds, Db, found
from api.roles import RETURN_RECEIVE, TICKET_ACTION, TICKET_ACTION_READ
from api.runtime import ApiRequest, etag
from api.schemas import Money, quantities
from api.schemas_after_sales import ActionIn, ActionOut, ReceiptIn, action_view
from api.security import require_warehouses
from api.views import Page, page
from application.base import Result
from infrastructure.readmodels import after_sales


def _respond(result: Result, status_code: int) -> Response[ActionOut]:
    return Response(action_view(result), status_code=status_code, headers=etag(result.aggregate.version))


class AfterSalesController(Controller):
    path = "/"
    tags = ("money",)

    @post("/tickets/{ticket_id:uuid}/actions", guards=[TICKET_ACTION], middleware=IDEMPOTENT, status_code=201)
    async def take_action(
        self, request: ApiRequest, ticket_id: FromPath[UUID], data: JSONBody[ActionIn], commands: Cmds
    ) -> Response[ActionOut]:
        """409 `ticket_without_order` when the ticket names no order; 409 `exceeds_returnable` beyond shipped −
        returned; support only on tickets it holds (403)."""
        await require_ticket_held(request, commands, ticket_id)
        amount, currency = None, None
        if isinstance(data.amount, Money):
            amount, currency = Decimal(data.amount.amount), data.amount.currency
        elif data.amount is not None:
            amount = Decimal(data.amount)
        result = await commands.run(
            commands.app.take_action, ticket_id, data.type, quantities(data.lines), amount, currency, data.reason
        )
        return _respond(result, 201)

    @get("/tickets/{ticket_id:uuid}/actions", guards=[TICKET_ACTION_READ])
    async def list_actions(self, ticket_id: FromPath[UUID], db: Db) -> Page[ActionOut]:
        """The ticket's after-sales timeline, oldest first (the same list as `actions` on the ticket)."""
        return page((await after_sales.actions_of_ticket(db, ticket_id), None), ActionOut)

    @post("/returns/{return_id:uuid}/receive", guards=[RETURN_RECEIVE], middleware=IDEMPOTENT, status_code=200)
    async def receive(
        self, request: ApiRequest, return_id: FromPath[UUID], data: JSONBody[ReceiptIn], commands: Cmds
    ) -> Response[ActionOut]:
        """Resellable units back on hand at the cost they shipped at, damaged ones written off
        (`return_damaged`); the refund is requested (approval rule) and the return is `received` or `refunded`."""
        require_warehouses(request, data.warehouse)
        lines = [{"sku": line.sku, "quantity": line.quantity, "condition": line.condition} for line in data.lines]
        result = await commands.run(commands.app.receive_return, return_id, data.warehouse, lines)
        return _respond(result, 200)

    @get("/returns/{return_id:uuid}", guards=[TICKET_ACTION_READ])
    async def get_return(self, return_id: FromPath[UUID], db: Db) -> Response[ActionOut]:
        row = await after_sales.get_action(db, return_id)
        return found(row if row and row["type"] == "return" else None, ActionOut, "return")
