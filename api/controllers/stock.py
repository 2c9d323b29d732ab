"""Stock per SKU × warehouse, and transfers between warehouses. Warehouse users act on their own warehouses
only (S2): a receipt, adjustment or read elsewhere is 403; a transfer needs its source in scope, receiving
it its destination."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post, put
from litestar.params import JSONBody

from api.idempotency import IDEMPOTENT
from api.params import DEFAULT_LIMIT, Cmds, Cursor, Db, Filter, IfMatch, Limit, Sku, WarehouseCode, found
from api.roles import STOCK_MOVE, STOCK_POLICY, STOCK_READ
from api.runtime import ApiRequest, etag
from api.schemas import AdjustmentIn, PolicyIn, ReceiptIn
from api.schemas_money import cost_of
from api.security import require_warehouses, warehouse_scope
from api.views import Page, StockOut, page, stock_view
from application.base import Result
from infrastructure.readmodels import stock_levels


def _stock_response(result: Result) -> Response[StockOut]:
    return Response(stock_view(result), status_code=201, headers=etag(result.aggregate.version))


class StockController(Controller):
    path = "/stock"
    tags = ("stock",)

    @post("/{sku:str}/{warehouse:str}/receipts", guards=[STOCK_MOVE], middleware=IDEMPOTENT, status_code=201)
    async def receive(
        self,
        request: ApiRequest,
        sku: Sku,
        warehouse: WarehouseCode,
        data: JSONBody[ReceiptIn],
        commands: Cmds,
        if_match: IfMatch,
    ) -> Response[StockOut]:
        require_warehouses(request, warehouse)
        app = commands.app
        result = await commands.run(
            app.receive_stock,
            sku,
            warehouse,
            data.quantity,
            data.reference,
            if_match=if_match,
            unit_cost=cost_of(data.unit_cost),
        )
        return _stock_response(result)

    @post("/{sku:str}/{warehouse:str}/adjustments", guards=[STOCK_MOVE], middleware=IDEMPOTENT, status_code=201)
    async def adjust(
        self,
        request: ApiRequest,
        sku: Sku,
        warehouse: WarehouseCode,
        data: JSONBody[AdjustmentIn],
        commands: Cmds,
        if_match: IfMatch,
    ) -> Response[StockOut]:
        """Correct on-hand; 409 `insufficient_stock` when it would fall below what is reserved."""
        require_warehouses(request, warehouse)
        result = await commands.run(
            commands.app.adjust_stock, sku, warehouse, data.delta, data.reason, if_match=if_match
        )
        return _stock_response(result)

    @put("/{sku:str}/{warehouse:str}/policy", guards=[STOCK_POLICY])
    async def set_policy(
        self, sku: Sku, warehouse: WarehouseCode, data: JSONBody[PolicyIn], commands: Cmds, if_match: IfMatch
    ) -> Response[StockOut]:
        policy: dict[str, Any] = {
            "safety_factor": repr(data.safety_factor),
            "lead_time_days": data.lead_time_days,
            "review_days": data.review_days,
            "min_order_qty": data.min_order_qty,
            "safety_method": data.safety_method,
            "service_level": repr(data.service_level),
        }
        result = await commands.run(commands.app.set_stock_policy, sku, warehouse, policy, if_match=if_match)
        return Response(stock_view(result), headers=etag(result.aggregate.version))

    @get("/{sku:str}/{warehouse:str}", guards=[STOCK_READ])
    async def get_stock(self, request: ApiRequest, sku: Sku, warehouse: WarehouseCode, db: Db) -> Response[StockOut]:
        require_warehouses(request, warehouse)
        return found(await stock_levels.get_stock(db, sku, warehouse), StockOut, f"stock of {sku} in {warehouse}")

    @get("/", guards=[STOCK_READ])
    async def list_stock(
        self,
        request: ApiRequest,
        db: Db,
        sku: Filter = None,
        warehouse: Filter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[StockOut]:
        """Warehouse users see their own warehouses only; asking for another one is 403."""
        if warehouse is not None:
            require_warehouses(request, warehouse)
        scope = warehouse_scope(request)
        rows = await stock_levels.list_stock(
            db,
            sku=sku,
            warehouse=warehouse,
            warehouses=sorted(scope) if scope is not None else None,
            limit=limit,
            cursor=cursor,
        )
        return page(rows, StockOut)
