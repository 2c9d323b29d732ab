"""Transfers between warehouses: the source must be in a warehouse user's scope to start one, the
destination to receive it."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, JSONBody

from api.idempotency import IDEMPOTENT
from api.params import Cmds, Db, found
from api.roles import STOCK_MOVE, STOCK_READ
from api.runtime import ApiRequest
from api.schemas import TransferIn
from api.security import require_warehouses, warehouse_scope
from api.views import TransferOut, transfer_view
from domain.stock import Transfer
from infrastructure.readmodels import stock_levels


class TransferController(Controller):
    path = "/transfers"
    tags = ("stock",)

    @post("/", guards=[STOCK_MOVE], middleware=IDEMPOTENT, status_code=201)
    async def start(self, request: ApiRequest, data: JSONBody[TransferIn], commands: Cmds) -> TransferOut:
        require_warehouses(request, data.from_warehouse)
        app = commands.app
        result = await commands.run(app.start_transfer, data.sku, data.from_warehouse, data.to_warehouse, data.quantity)
        return transfer_view(result)

    @post("/{transfer_id:uuid}/receive", guards=[STOCK_MOVE], middleware=IDEMPOTENT, status_code=200)
    async def receive(self, request: ApiRequest, transfer_id: FromPath[UUID], commands: Cmds) -> TransferOut:
        transfer = await commands.load(commands.app.get_aggregate, transfer_id)
        if not isinstance(transfer, Transfer):
            raise NotFoundException("transfer not found")
        require_warehouses(request, transfer.to_warehouse)
        return transfer_view(await commands.run(commands.app.receive_transfer, transfer_id))

    @get("/{transfer_id:uuid}", guards=[STOCK_READ])
    async def get_transfer(self, request: ApiRequest, transfer_id: FromPath[UUID], db: Db) -> Response[TransferOut]:
        row = await stock_levels.get_transfer(db, transfer_id)
        scope = warehouse_scope(request)
        if row is not None and scope is not None and not scope & {row["from_warehouse"], row["to_warehouse"]}:
            raise PermissionDeniedException("this transfer involves none of your warehouses")
        return found(row, TransferOut, "transfer")
