"""Read model `warehouse_list` (defined with `product_catalog` in infrastructure.projections.catalog)."""

from infrastructure.projections.catalog import get_warehouse, list_warehouses
from infrastructure.projections.catalog import warehouses as projection

__all__ = ["get_warehouse", "list_warehouses", "projection"]
