"""Stock commands: receipts, adjustments, policies and transfers between warehouses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

from application.base import Result, ShopOpsBase
from domain.base import DomainError, Meta
from domain.costing import Cost
from domain.stock import Stock, Transfer


class StockCommands(ShopOpsBase):
    """Stock commands: receipts, adjustments, policies and transfers between warehouses."""

    def _stock_command(
        self, sku: str, warehouse: str, if_match: int | None, change: Callable[[Stock], None], meta: Meta
    ) -> Result:
        self._require_known([sku], (warehouse,))

        def attempt() -> Result:
            stock = self._stock_or_open(sku, warehouse, meta)
            if stock.version > 1 or if_match is not None:
                self._check_version(stock, if_match)
            change(stock)
            return self._commit(stock, primary=stock)

        return self._retrying(attempt)

    def receive_stock(
        self,
        sku: str,
        warehouse: str,
        quantity: int,
        reference: str,
        meta: Meta,
        if_match: int | None = None,
        unit_cost: Cost | None = None,
    ) -> Result:
        """Goods arrived at a warehouse (supplier delivery, found stock). They enter the moving-average cost at
        `unit_cost` (the actual cost); without one at the current average, else at the standard cost."""
        fallback = self._standard_cost(sku)
        return self._stock_command(
            sku,
            warehouse,
            if_match,
            lambda s: s.receive(quantity, reference, meta, unit_cost or s.cost() or fallback),
            meta,
        )

    def adjust_stock(
        self, sku: str, warehouse: str, delta: int, reason: str, meta: Meta, if_match: int | None = None
    ) -> Result:
        """Correct on-hand after a count, damage or loss; refused when on-hand would fall below reserved."""
        fallback = self._standard_cost(sku)
        return self._stock_command(sku, warehouse, if_match, lambda s: s.adjust(delta, reason, meta, fallback), meta)

    def set_stock_policy(
        self, sku: str, warehouse: str, policy: dict[str, Any], meta: Meta, if_match: int | None = None
    ) -> Result:
        """Set the replenishment policy the reorder worker evaluates for this SKU × warehouse."""
        return self._stock_command(
            sku,
            warehouse,
            if_match,
            lambda s: s.set_policy(
                str(policy["safety_factor"]),
                policy["lead_time_days"],
                policy["review_days"],
                policy["min_order_qty"],
                meta,
                policy.get("safety_method", "alpha"),
                str(policy.get("service_level", "0.95")),
            ),
            meta,
        )

    def start_transfer(self, sku: str, from_wh: str, to_wh: str, quantity: int, meta: Meta) -> Result:
        """Move stock between warehouses: leaves the source now, inbound at the destination until received."""
        if from_wh == to_wh:
            raise DomainError("a transfer needs two different warehouses")
        self._require_known([sku], (from_wh, to_wh))
        transfer_id = uuid4()

        def attempt() -> Result:
            source = self._stock_or_open(sku, from_wh, meta)
            target = self._stock_or_open(sku, to_wh, meta)
            transfer = Transfer.dispatch(transfer_id, sku, from_wh, to_wh, quantity, meta)
            carried = source.cost() or self._standard_cost(sku)  # the goods carry their cost
            source.dispatch_transfer(str(transfer_id), to_wh, quantity, meta, carried)
            target.expect_transfer(str(transfer_id), from_wh, quantity, meta, carried)
            return self._commit(transfer, source, target, primary=transfer, created=True)

        return self._retrying(attempt)

    def receive_transfer(self, transfer_id: UUID, meta: Meta) -> Result:
        """The transfer arrived: its quantity moves from inbound to on-hand. Receiving twice changes nothing."""

        def attempt() -> Result:
            transfer = self._load(transfer_id, Transfer, "transfer")
            if not transfer.receive(meta):
                return Result(transfer, self.position())
            target = self.stock(transfer.sku, transfer.to_warehouse)
            target.receive_transfer(str(transfer_id), transfer.quantity, meta)
            return self._commit(transfer, target, primary=transfer)

        return self._retrying(attempt)
