"""Orders: placed once per (channel, external_id) - 201 the first time, 200 with the same order after - then
paid, shipped, delivered, returned or cancelled. Warehouse users see orders not yet assigned to a warehouse
and those allocated to or shipped from theirs, and ship, deliver and take returns for their warehouses only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from api.idempotency import IDEMPOTENT
from api.masking import mask_contact
from api.params import DEFAULT_LIMIT, Cmds, Cursor, Db, Filter, IfMatch, Limit, found
from api.roles import (
    ORDER_CANCEL,
    ORDER_CONTACT_UNMASKED,
    ORDER_CREATE,
    ORDER_PAY,
    ORDER_READ,
    ORDER_RETURN,
    ORDER_SHIP,
)
from api.runtime import ApiRequest, Commands, etag
from api.schemas import CancelIn, OrderIn, PaymentIn, ReturnIn, ShipmentIn, order_lines, quantities
from api.security import require_warehouses, warehouse_scope
from api.views import OrderOut, Page, order_view, page
from application.base import Result
from infrastructure.identity.personal_data import readable, unseal
from infrastructure.readmodels import order_summary


async def _respond(
    commands: Commands, result: Result, status_code: int, sent: dict[str, Any] | None = None
) -> Response[OrderOut]:
    """The order after the command, contact data unsealed for the caller (who just sent it: an order this
    request created shows the contact data it sealed, without reading the key back)."""
    body = order_view(result)
    if sent is not None and result.created and "sealed" in (body.customer or {}):
        body.customer = readable(sent)
    else:
        body.customer = await unseal(commands.runtime.db, body.customer) or {}
    return Response(body, status_code=status_code, headers=etag(result.aggregate.version))


async def _readable(request: ApiRequest, db: Any, row: dict[str, Any]) -> dict[str, Any]:
    """Unseal the customer's contact data; mask it for roles that do not handle customers' addresses."""
    customer = await unseal(db, row["customer"]) or {}
    if not ORDER_CONTACT_UNMASKED.intersection(request.user.roles):
        customer = mask_contact(customer)
    return {**row, "customer": customer}


def _order_warehouses(row: dict[str, Any]) -> set[str]:
    allocated = {a["warehouse"] for line in row.get("lines", []) for a in line.get("allocated", [])}
    return allocated | set(row.get("warehouses") or ()) | set((row.get("shipped_from") or {}).values())


class OrderController(Controller):
    path = "/orders"
    tags = ("orders",)

    @post(
        "/",
        guards=[ORDER_CREATE],
        middleware=IDEMPOTENT,
        status_code=201,
        responses={200: ResponseSpec(OrderOut, description="the order placed before with this (channel, external_id)")},
    )
    async def place(self, data: JSONBody[OrderIn], commands: Cmds) -> Response[OrderOut]:
        """201 with the new order, or 200 with the existing one when (channel, external_id) was placed before."""
        customer = {
            k: v
            for k, v in {
                "id": data.customer.id,
                "name": data.customer.name,
                "email": data.customer.email,
                "phone": data.customer.phone,
                "address": data.customer.address,
            }.items()
            if v is not None
        }
        result = await commands.run(
            commands.app.place_order, data.channel, data.external_id, customer, order_lines(data.lines)
        )
        return await _respond(commands, result, 201 if result.created else 200, customer)

    @get("/{order_id:uuid}", guards=[ORDER_READ])
    async def get_order(self, request: ApiRequest, order_id: FromPath[UUID], db: Db) -> Response[OrderOut]:
        row = await order_summary.get_order(db, order_id)
        scope, held = warehouse_scope(request), _order_warehouses(row) if row else set()
        if scope is not None and held and not held & scope:
            raise PermissionDeniedException("this order is handled by other warehouses")
        return found(await _readable(request, db, row) if row else None, OrderOut, "order")

    @get("/", guards=[ORDER_READ])
    async def list_orders(
        self,
        request: ApiRequest,
        db: Db,
        status: Filter = None,
        channel: Filter = None,
        customer_id: Filter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[OrderOut]:
        scope = warehouse_scope(request)
        rows = await order_summary.list_orders(
            db,
            status=status,
            channel=channel,
            customer_id=customer_id,
            warehouses=sorted(scope) if scope is not None else None,
            limit=limit,
            cursor=cursor,
        )
        items, cursor = rows
        return page(([await _readable(request, db, row) for row in items], cursor), OrderOut)

    @post("/{order_id:uuid}/payments", guards=[ORDER_PAY], middleware=IDEMPOTENT, status_code=201)
    async def pay(
        self, order_id: FromPath[UUID], data: JSONBody[PaymentIn], commands: Cmds, if_match: IfMatch
    ) -> Response[OrderOut]:
        amount = data.amount
        result = await commands.run(
            commands.app.record_payment,
            order_id,
            Decimal(amount.amount),
            amount.currency,
            data.reference,
            if_match=if_match,
        )
        return await _respond(commands, result, 201)

    @post("/{order_id:uuid}/cancel", guards=[ORDER_CANCEL], middleware=IDEMPOTENT, status_code=200)
    async def cancel(
        self, order_id: FromPath[UUID], data: JSONBody[CancelIn], commands: Cmds, if_match: IfMatch
    ) -> Response[OrderOut]:
        """409 once shipped; cancelling twice is harmless. Reservations are released in the same transaction."""
        result = await commands.run(commands.app.cancel_order, order_id, data.reason, if_match=if_match)
        return await _respond(commands, result, 200)

    @post("/{order_id:uuid}/shipments", guards=[ORDER_SHIP], middleware=IDEMPOTENT, status_code=201)
    async def ship(
        self,
        request: ApiRequest,
        order_id: FromPath[UUID],
        data: JSONBody[ShipmentIn],
        commands: Cmds,
        if_match: IfMatch,
    ) -> Response[OrderOut]:
        require_warehouses(request, data.warehouse)
        lines = quantities(data.lines) if data.lines else None
        result = await commands.run(
            commands.app.ship_order,
            order_id,
            data.warehouse,
            data.carrier,
            data.tracking_number,
            lines,
            if_match=if_match,
        )
        return await _respond(commands, result, 201)

    @post("/{order_id:uuid}/delivery", guards=[ORDER_SHIP], middleware=IDEMPOTENT, status_code=200)
    async def deliver(
        self, request: ApiRequest, order_id: FromPath[UUID], commands: Cmds, if_match: IfMatch
    ) -> Response[OrderOut]:
        order = await commands.load(commands.app.order, order_id)
        require_warehouses(request, *order.shipped_from.values())
        return await _respond(
            commands, await commands.run(commands.app.deliver_order, order_id, if_match=if_match), 200
        )

    @post("/{order_id:uuid}/returns", guards=[ORDER_RETURN], middleware=IDEMPOTENT, status_code=201)
    async def take_return(
        self, request: ApiRequest, order_id: FromPath[UUID], data: JSONBody[ReturnIn], commands: Cmds, if_match: IfMatch
    ) -> Response[OrderOut]:
        """Returned goods are restocked where they were shipped from (warehouse users: their own only)."""
        lines = quantities(data.lines)
        order = await commands.load(commands.app.order, order_id)
        require_warehouses(request, *(order.shipped_from[sku] for sku in lines if sku in order.shipped_from))
        result = await commands.run(commands.app.return_order, order_id, lines, data.reason, if_match=if_match)
        return await _respond(commands, result, 201)
