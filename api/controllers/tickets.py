"""Customer-service tickets and agents. Classification, priority and automatic assignment happen in a worker
within seconds of opening; here tickets are opened, answered, recategorised, reassigned by hand, resolved and
reopened, and read with the automatic classification and a suggested first reply."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from api.idempotency import IDEMPOTENT
from api.params import DEFAULT_LIMIT, Cmds, Cursor, Db, Filter, IfMatch, Limit, found
from api.roles import TICKET_CREATE, TICKET_READ, TICKET_WRITE
from api.runtime import etag, runtime_of
from api.schemas import AssignmentIn, CategoryIn, NoteIn, ReplyIn, TicketIn
from api.schemas_after_sales import TicketWithActionsOut
from api.views import Page, TicketOut, page, ticket_view
from application.base import Result
from application.errors import NotFoundError
from domain.base import UnknownReferenceError
from infrastructure.readmodels import after_sales, ticket_queue
from infrastructure.replies.drafts import load_templates, suggested_reply


def _respond(result: Result, status_code: int) -> Response[TicketOut]:
    return Response(ticket_view(result), status_code=status_code, headers=etag(result.aggregate.version))


class TicketController(Controller):
    path = "/tickets"
    tags = ("tickets",)

    @post("/", guards=[TICKET_CREATE], middleware=IDEMPOTENT, status_code=201)
    async def open_ticket(self, data: JSONBody[TicketIn], commands: Cmds) -> Response[TicketOut]:
        """An `order_id` that names no order is bad input (422), not a missing resource."""
        try:
            result = await commands.run(
                commands.app.open_ticket, data.customer_id, data.order_id, data.channel, data.subject, data.body
            )
        except NotFoundError as error:
            raise UnknownReferenceError(f"order_id: {error}") from None
        return _respond(result, 201)

    @get("/{ticket_id:uuid}", guards=[TICKET_READ])
    async def get_ticket(
        self, ticket_id: FromPath[UUID], db: Db, request: Request[Any, Any, Any]
    ) -> Response[TicketWithActionsOut]:
        """With `actions` (the ticket's after-sales timeline), `classification` (model or rules, version,
        confidence) once triaged, and `suggested_reply` for a shipping, refund, return or payment ticket linked
        to an order, in the ticket's language."""
        row = await ticket_queue.get_ticket(db, ticket_id)
        if row is not None:
            row["actions"] = await after_sales.actions_of_ticket(db, ticket_id)
            templates = load_templates(runtime_of(request).settings.shopops_reply_templates)
            row["suggested_reply"] = await suggested_reply(db, row, templates)
        return found(row, TicketWithActionsOut, "ticket")

    @get("/", guards=[TICKET_READ])
    async def list_tickets(
        self,
        db: Db,
        status: Filter = None,
        assignee: Filter = None,
        category: Filter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[TicketOut]:
        rows = await ticket_queue.list_tickets(
            db, status=status, assignee=assignee, category=category, limit=limit, cursor=cursor
        )
        return page(rows, TicketOut)

    @post("/{ticket_id:uuid}/replies", guards=[TICKET_WRITE], middleware=IDEMPOTENT, status_code=201)
    async def reply(
        self, ticket_id: FromPath[UUID], data: JSONBody[ReplyIn], commands: Cmds, if_match: IfMatch
    ) -> Response[TicketOut]:
        result = await commands.run(commands.app.reply_ticket, ticket_id, data.author, data.body, if_match=if_match)
        return _respond(result, 201)

    @post("/{ticket_id:uuid}/category", guards=[TICKET_WRITE], middleware=IDEMPOTENT, status_code=200)
    async def recategorise(
        self, ticket_id: FromPath[UUID], data: JSONBody[CategoryIn], commands: Cmds, if_match: IfMatch
    ) -> Response[TicketOut]:
        """An agent confirms or corrects the category: the queue shows it, and the classifier learns from it at
        its next retraining. Confirming the current category is recorded too (it is a label)."""
        result = await commands.run(commands.app.recategorise_ticket, ticket_id, data.category, if_match=if_match)
        return _respond(result, 200)

    @post("/{ticket_id:uuid}/assignment", guards=[TICKET_WRITE], middleware=IDEMPOTENT, status_code=200)
    async def assign(
        self, ticket_id: FromPath[UUID], data: JSONBody[AssignmentIn], commands: Cmds, if_match: IfMatch
    ) -> Response[TicketOut]:
        """Manual override of the automatic assignment; capacity is not enforced for it."""
        result = await commands.run(commands.app.assign_ticket, ticket_id, data.agent_id, if_match=if_match)
        return _respond(result, 200)

    @post("/{ticket_id:uuid}/resolve", guards=[TICKET_WRITE], middleware=IDEMPOTENT, status_code=200)
    async def resolve(
        self, ticket_id: FromPath[UUID], commands: Cmds, if_match: IfMatch, data: JSONBody[NoteIn | None] = None
    ) -> Response[TicketOut]:
        note = data.note if data else None
        return _respond(await commands.run(commands.app.resolve_ticket, ticket_id, note, if_match=if_match), 200)

    @post("/{ticket_id:uuid}/reopen", guards=[TICKET_WRITE], middleware=IDEMPOTENT, status_code=200)
    async def reopen(
        self, ticket_id: FromPath[UUID], commands: Cmds, if_match: IfMatch, data: JSONBody[NoteIn | None] = None
    ) -> Response[TicketOut]:
        note = data.note if data else None
        return _respond(await commands.run(commands.app.reopen_ticket, ticket_id, note, if_match=if_match), 200)
