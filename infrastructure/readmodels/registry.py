"""Every read model, by name (the order is the order `rebuild` runs them in)."""

from infrastructure.readmodels import (
    after_sales,
    audit_timeline,
    available_to_sell,
    catalog,
    customer_profile,
    holds,
    order_shipments,
    order_summary,
    reconciliation,
    refunds,
    sales_history,
    stock_levels,
    stock_snapshots,
    ticket_queue,
)
from infrastructure.readmodels import alerts as alerts_model
from infrastructure.readmodels.base import Projection

PROJECTIONS: dict[str, Projection] = {
    p.name: p
    for p in (
        catalog.warehouses,
        catalog.products,
        stock_levels.projection,
        order_summary.projection,
        order_shipments.projection,
        ticket_queue.projection,
        customer_profile.projection,
        sales_history.projection,
        audit_timeline.projection,
        stock_snapshots.projection,  # insight
        alerts_model.projection,  # insight
        refunds.projection,  # money
        reconciliation.projection,  # money
        after_sales.projection,  # money
        holds.projection,
        available_to_sell.projection,
    )
}

# Named subsets for `shopops projections --group NAME`: each group is one reader and one writer in its own
# process, so read models can be spread over processes (cores). Together the groups cover every read model
# once; without --group one process runs them all.
GROUPS: dict[str, tuple[str, ...]] = {
    "orders": (
        "order_summary",
        "order_shipments",
        "customer_profile",
        "sales_history",
        "refunds",
        "reconciliation",
        "after_sales",
    ),
    "stock": ("warehouse_list", "product_catalog", "stock_levels", "stock_snapshots", "holds", "available_to_sell"),
    "support": ("ticket_queue", "alerts", "audit_timeline"),
}
