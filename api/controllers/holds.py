"""Checkout holds: a storefront holds stock while its customer checks out; the hold expires on its own."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody

from api.idempotency import IDEMPOTENT
from api.params import Cmds, Db
from api.roles import HOLD_CREATE, HOLD_READ
from api.runtime import etag
from api.schemas_channels import HoldExtendIn, HoldIn
from api.views import Out
from application.base import Result


class HoldOut(Out, kw_only=True):
    id: UUID
    sku: str
    warehouse: str
    quantity: int
    reference: str
    status: str
    expires_at: str
    order_id: str | None = None
    version: int
    position: int | None = None


def hold_view(result: Result) -> Response[HoldOut]:
    h = result.aggregate
    view = HoldOut(
        id=h.id,
        sku=h.sku,
        warehouse=h.warehouse,
        quantity=h.quantity,
        reference=h.reference,
        status=h.status,
        expires_at=h.expires_at,
        order_id=h.order_id,
        version=h.version,
        position=result.position,
    )
    return Response(view, status_code=201 if result.created else 200, headers=etag(h.version))


class HoldController(Controller):
    path = "/holds"
    tags = ("holds",)

    @post("/", guards=[HOLD_CREATE], middleware=IDEMPOTENT, status_code=201)
    async def place(self, data: JSONBody[HoldIn], commands: Cmds, db: Db) -> Response[HoldOut]:
        """201 with the active hold; 409 `insufficient_stock`. Without `warehouse`, routing picks one."""
        codes = tuple(r["code"] for r in await db.fetch("SELECT code FROM warehouse_list ORDER BY code"))
        result = await commands.run(
            commands.app.place_hold,
            data.sku,
            data.quantity,
            data.reference,
            warehouse=data.warehouse,
            ttl_seconds=data.ttl_seconds,
            warehouses=codes,
        )
        return hold_view(result)

    @post("/{hold_id:uuid}/release", guards=[HOLD_CREATE], middleware=IDEMPOTENT, status_code=200)
    async def release(self, hold_id: FromPath[UUID], commands: Cmds) -> Response[HoldOut]:
        return hold_view(await commands.run(commands.app.release_hold, hold_id))

    @post("/{hold_id:uuid}/extend", guards=[HOLD_CREATE], middleware=IDEMPOTENT, status_code=200)
    async def extend(self, hold_id: FromPath[UUID], data: JSONBody[HoldExtendIn], commands: Cmds) -> Response[HoldOut]:
        """Expiry moves to now + ttl_seconds, never past 3600 s after the hold was placed."""
        return hold_view(await commands.run(commands.app.extend_hold, hold_id, data.ttl_seconds))

    @get("/{hold_id:uuid}", guards=[HOLD_READ])
    async def get_hold(self, hold_id: FromPath[UUID], commands: Cmds) -> Response[HoldOut]:
        """Read from the event store: a hold's status is exact the moment it changes."""
        hold = await commands.load(commands.app.hold, hold_id)
        return hold_view(Result(hold, None))
