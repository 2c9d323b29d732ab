"""Read model `product_catalog` (defined with `warehouse_list` in infrastructure.projections.catalog)."""

from infrastructure.projections.catalog import get_product, list_products
from infrastructure.projections.catalog import products as projection

__all__ = ["get_product", "list_products", "projection"]
