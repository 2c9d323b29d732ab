"""Channels as records (contract v1.1 "Channels both ways"): settings, available-to-sell per SKU, push sync
state; and the signed cancellation webhook (a cancellation after shipment is refused: a return is the way)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.exceptions import NotFoundException
from litestar.params import JSONBody, PathParameter

from api.controllers.channels import WEBHOOK_RATE_LIMIT, signed_webhook
from api.masking import mask_contact
from api.params import CODE_PATTERN, DEFAULT_LIMIT, Cmds, Cursor, Db, Filter, Limit, found
from api.roles import CHANNEL_AVAILABILITY_READ, CHANNEL_SYNC_READ, CHANNEL_WRITE
from api.runtime import etag, runtime_of
from api.schemas_channels import CancellationIn, ChannelIn
from api.security import PUBLIC_OPT
from api.views import OrderOut, Out, Page, order_view
from infrastructure.channels.queries import sync_view
from infrastructure.identity.personal_data import unseal
from infrastructure.readmodels import available_to_sell as ats
from infrastructure.readmodels.base import decode_cursor, next_cursor

ChannelCode = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=CODE_PATTERN)]


class ChannelOut(Out, kw_only=True):
    channel: str
    name: str
    warehouses: list[str]
    share: float
    buffer: int
    stock_url: str | None = None
    fulfilment_url: str | None = None
    version: int
    position: int | None = None


class AvailabilityOut(Out, kw_only=True):
    sku: str
    available_to_sell: int
    version: int


class SyncItemOut(Out, kw_only=True):
    sku: str
    pushed: int | None
    current: int
    pushed_version: int | None = None
    version: int


class SyncOut(Out, kw_only=True):
    channel: str
    pending: int
    last_pushed_at: str | None
    lag_seconds_p95: float | None
    failures: int
    last_error: str | None = None
    items: list[SyncItemOut]


class ChannelSettingsController(Controller):
    path = "/channels"
    tags = ("channels",)

    @put("/{channel:str}", guards=[CHANNEL_WRITE])
    async def put_channel(
        self, channel: ChannelCode, data: JSONBody[ChannelIn], commands: Cmds
    ) -> Response[ChannelOut]:
        """Create or update the channel: warehouses that serve it, its share of their stock, buffer, push URLs."""
        settings = msgspec.structs.asdict(data)
        result = await commands.run(commands.app.put_channel, channel, settings)
        c = result.aggregate
        view = ChannelOut(
            channel=c.code,
            name=c.name,
            warehouses=c.warehouses,
            share=float(c.share),
            buffer=c.buffer,
            stock_url=c.stock_url,
            fulfilment_url=c.fulfilment_url,
            version=c.version,
            position=result.position,
        )
        return Response(view, headers=etag(c.version))

    @get("/{channel:str}", guards=[CHANNEL_AVAILABILITY_READ])
    async def get_channel(self, channel: ChannelCode, db: Db) -> Response[ChannelOut]:
        return found(await ats.get_channel(db, channel), ChannelOut, f"channel {channel}")

    @get("/{channel:str}/availability", guards=[CHANNEL_AVAILABILITY_READ])
    async def availability(
        self, channel: ChannelCode, db: Db, sku: Filter = None, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Page[AvailabilityOut]:
        """`max(0, floor(share × Σ available over its warehouses) − buffer)` per SKU, with its version."""
        if await ats.get_channel(db, channel) is None:
            raise NotFoundException(f"channel {channel} not found")
        after = decode_cursor(cursor, 1)
        rows = await ats.availability(db, channel, sku, limit, after[0] if after else None)
        return Page(items=[AvailabilityOut(**r) for r in rows], next_cursor=next_cursor(rows, limit, "sku"))

    @get("/{channel:str}/sync", guards=[CHANNEL_SYNC_READ])
    async def sync(self, channel: ChannelCode, db: Db) -> SyncOut:
        """What is pending, when the channel was last told, lag (p95 over SKUs' last pushes), failures."""
        if await ats.get_channel(db, channel) is None:
            raise NotFoundException(f"channel {channel} not found")
        return msgspec.convert(await sync_view(db, channel), SyncOut)

    @post(
        "/{channel:str}/cancellations",
        opt={PUBLIC_OPT: True},
        middleware=[WEBHOOK_RATE_LIMIT.middleware],
        security=[],
        status_code=200,
        request_body=CancellationIn,
    )
    async def cancellation(self, request: Request[Any, Any, Any], channel: ChannelCode) -> Response[OrderOut]:
        """The channel cancels one of its orders (signed like the orders webhook): 200 with the cancelled order,
        again 200 on a repeat; 409 once shipped (a return is the way); 401 on a bad signature."""
        runtime = runtime_of(request)
        data, meta = await signed_webhook(request, channel, CancellationIn, ":cancel")
        result = await runtime.call(runtime.app.cancel_from_channel, channel, data.external_id, data.reason, meta)
        view = order_view(result)
        customer = await unseal(runtime.db, view.customer) or {}
        view.customer = mask_contact(customer)  # the channel knows its customer; echo it masked anyway
        return Response(view, headers=etag(result.aggregate.version))
