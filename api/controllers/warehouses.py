"""Warehouses: PUT creates or updates one (the same body twice records nothing); GETs read the warehouse list."""

from __future__ import annotations

from litestar import Controller, Response, get, put
from litestar.params import JSONBody

from api.params import DEFAULT_LIMIT, Cmds, Cursor, Db, Limit, WarehouseCode, found
from api.roles import ANY_ROLE, CATALOG_WRITE
from api.runtime import etag
from api.schemas import WarehouseIn
from api.views import Page, WarehouseOut, page, warehouse_view
from infrastructure.readmodels import warehouse_list


class WarehouseController(Controller):
    path = "/warehouses"
    tags = ("catalog",)

    @put("/{code:str}", guards=[CATALOG_WRITE])
    async def put_warehouse(
        self, code: WarehouseCode, data: JSONBody[WarehouseIn], commands: Cmds
    ) -> Response[WarehouseOut]:
        result = await commands.run(commands.app.put_warehouse, code, data.name, data.region)
        return Response(warehouse_view(result), headers=etag(result.aggregate.version))

    @get("/{code:str}", guards=[ANY_ROLE])
    async def get_warehouse(self, code: WarehouseCode, db: Db) -> Response[WarehouseOut]:
        return found(await warehouse_list.get_warehouse(db, code), WarehouseOut, f"warehouse {code}")

    @get("/", guards=[ANY_ROLE])
    async def list_warehouses(self, db: Db, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[WarehouseOut]:
        return page(await warehouse_list.list_warehouses(db, limit=limit, cursor=cursor), WarehouseOut)
