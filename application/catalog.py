"""Catalog commands: warehouses and products (PUT semantics: the same body twice records nothing)."""

from __future__ import annotations

from decimal import Decimal

from application.base import Result, ShopOpsBase
from domain.base import Meta
from domain.catalog import Product, Warehouse, product_id, warehouse_id
from domain.costing import Cost


class CatalogCommands(ShopOpsBase):
    """Catalog commands: warehouses and products (PUT semantics: the same body twice records nothing)."""

    def put_warehouse(self, code: str, name: str, region: str, meta: Meta) -> Result:
        """Create or update a warehouse (PUT semantics: the same body twice records nothing new)."""

        def attempt() -> Result:
            existing = self._maybe(warehouse_id(code))
            if existing is None:
                warehouse = Warehouse.register(code, name, region, meta)
                return self._commit(warehouse, primary=warehouse, created=True)
            existing.update(name, region, meta)
            return self._commit(existing, primary=existing)

        result = self._retrying(attempt)
        return Result(result.aggregate, result.position or self.position(), result.created)

    def put_product(
        self,
        sku: str,
        name: str,
        category: str,
        unit_price: Decimal,
        currency: str,
        lead_time_days: int,
        meta: Meta,
        unit_cost: Cost | None = None,
    ) -> Result:
        """Create or update a product; `unit_cost` (optional) is its standard cost, recorded in the same save."""

        def attempt() -> Result:
            existing = self._maybe(product_id(sku))
            created = existing is None
            if existing is None:
                existing = Product.register(sku, name, category, unit_price, currency, lead_time_days, meta)
            else:
                existing.update(name, category, unit_price, currency, lead_time_days, meta)
            if unit_cost is not None:
                existing.set_standard_cost(unit_cost, meta)
            return self._commit(existing, primary=existing, created=created)

        result = self._retrying(attempt)
        return Result(result.aggregate, result.position or self.position(), result.created)
