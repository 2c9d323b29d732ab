"""Products: PUT creates or updates a SKU (the same body twice records nothing); GETs read the catalog model."""

from __future__ import annotations

from decimal import Decimal

from litestar import Controller, Response, get, put
from litestar.params import JSONBody

from api.params import DEFAULT_LIMIT, Cmds, Cursor, Db, Filter, Limit, Sku, found
from api.roles import ANY_ROLE, CATALOG_WRITE
from api.runtime import etag
from api.schemas import ProductIn
from api.schemas_money import cost_of
from api.views import Page, ProductOut, page, product_view
from infrastructure.readmodels import product_catalog


class ProductController(Controller):
    path = "/products"
    tags = ("catalog",)

    @put("/{sku:str}", guards=[CATALOG_WRITE])
    async def put_product(self, sku: Sku, data: JSONBody[ProductIn], commands: Cmds) -> Response[ProductOut]:
        price = data.unit_price
        result = await commands.run(
            commands.app.put_product,
            sku,
            data.name,
            data.category,
            Decimal(price.amount),
            price.currency,
            data.lead_time_days,
            unit_cost=cost_of(data.unit_cost),
        )
        return Response(product_view(result), headers=etag(result.aggregate.version))

    @get("/{sku:str}", guards=[ANY_ROLE])
    async def get_product(self, sku: Sku, db: Db) -> Response[ProductOut]:
        return found(await product_catalog.get_product(db, sku), ProductOut, f"product {sku}")

    @get("/", guards=[ANY_ROLE])
    async def list_products(
        self, db: Db, category: Filter = None, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Page[ProductOut]:
        return page(await product_catalog.list_products(db, category=category, limit=limit, cursor=cursor), ProductOut)
