"""The ShopOps application: every command on orders, stock, catalog and tickets, one `save()` per command.

All aggregates live in one application (one events table, one ordered notification log) so a command that
touches an order and several stock records commits atomically (D2). Every command reloads and retries on a
version conflict a bounded number of times; creation uses deterministic ids so create-once races are safe.
"""

from __future__ import annotations

from application.after_sales import AfterSalesCommands
from application.alerts import AlertCommands
from application.base import Result
from application.catalog import CatalogCommands
from application.channels import ChannelCommands
from application.orders import OrderCommands
from application.refunds import RefundCommands
from application.replenishment import ReplenishmentCommands
from application.settlements import SettlementCommands
from application.stock import StockCommands
from application.tickets import TicketCommands

__all__ = ["Result", "ShopOps"]


class ShopOps(
    ChannelCommands,  # channels
    CatalogCommands,
    StockCommands,
    OrderCommands,
    TicketCommands,
    ReplenishmentCommands,
    AfterSalesCommands,  # money (before RefundCommands: it extends the refund hook)
    RefundCommands,  # money
    SettlementCommands,  # money
    AlertCommands,  # insight
):
    """The shopops application. `name` is persisted (table prefix, tracking key): never change it."""

    name = "shopops"
