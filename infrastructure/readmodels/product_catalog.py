"""Read model `product_catalog` (defined with `warehouse_list` in infrastructure.readmodels.catalog)."""

from infrastructure.readmodels.catalog import get_product, list_products
from infrastructure.readmodels.catalog import products as projection

__all__ = ["get_product", "list_products", "projection"]
