"""Every read model, by name (the order is the order `rebuild` runs them in)."""

from infrastructure.readmodels import (
    audit_timeline,
    available_to_sell,
    catalog,
    customer_profile,
    holds,
    order_summary,
    sales_history,
    stock_levels,
    ticket_queue,
)
from infrastructure.readmodels.base import Projection

PROJECTIONS: dict[str, Projection] = {
    p.name: p
    for p in (
        catalog.warehouses,
        catalog.products,
        stock_levels.projection,
        order_summary.projection,
        ticket_queue.projection,
        customer_profile.projection,
        sales_history.projection,
        audit_timeline.projection,
        holds.projection,
        available_to_sell.projection,
    )
}
