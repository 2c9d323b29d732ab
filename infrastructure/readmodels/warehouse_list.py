"""Read model `warehouse_list` (defined with `product_catalog` in infrastructure.readmodels.catalog)."""

from infrastructure.readmodels.catalog import get_warehouse, list_warehouses
from infrastructure.readmodels.catalog import warehouses as projection

__all__ = ["get_warehouse", "list_warehouses", "projection"]
