"""Replenishment commands: evaluate the reorder rule after stock changes and run the replenishment lifecycle.

The Stock record carries its open replenishment, and opening one saves the Stock and the Replenishment
together, so concurrent triggers for one SKU × warehouse raise exactly one (the loser reloads and sees it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from application.base import Result, ShopOpsBase
from domain.base import Meta, stable_id
from domain.replenishment import DemandForecast, Replenishment, reorder_decision, surplus_over_reorder_point
from domain.stock import Stock, Transfer, stock_id


class ReplenishmentCommands(ShopOpsBase):
    """Replenishment commands (see the module docstring)."""

    def replenishment(self, rid: UUID) -> Replenishment:
        return self._load(rid, Replenishment, "replenishment")

    def evaluate_reorder(
        self,
        sku: str,
        warehouse: str,
        warehouses: Sequence[str],
        meta: Meta,
        forecast: DemandForecast | None = None,
    ) -> Result:
        """Raise a replenishment when available + inbound falls below the reorder point; prefer a transfer
        from a warehouse holding stock above its own reorder point. Returns the replenishment or None.

        Demand is the published forecast when there is one (recorded in the decision), else the trailing
        28-day moving average of the Stock record's demand."""

        def attempt() -> Result:
            stock = self._maybe(stock_id(sku, warehouse))
            if not isinstance(stock, Stock) or stock.policy is None or stock.open_replenishment:
                return Result(None, None)
            today = datetime.now(UTC).date()
            demand = forecast.daily_demand if forecast is not None else stock.daily_demand(today)
            source = f"forecast:{forecast.model}" if forecast is not None else "moving_average_28d"
            decision = reorder_decision(
                stock.policy,
                demand,
                stock.available,
                stock.inbound + stock.on_order,
                source,
                forecast.error_sd if forecast is not None else None,
            )
            if not decision.triggered:
                return Result(None, None)
            donor, spare = self._best_donor(sku, warehouse, warehouses, today)
            kind, quantity = ("transfer", min(decision.quantity, spare)) if donor else ("purchase", decision.quantity)
            reason = f"available+inbound {decision.position} < reorder point {decision.reorder_point:.1f}; " + (
                f"transfer {quantity} from {donor} (surplus {spare})" if donor else f"buy {quantity}"
            )
            rid = uuid4()
            replenishment = Replenishment.open(
                rid,
                sku,
                warehouse,
                quantity,
                kind,
                donor,
                reason,
                {
                    **decision.as_dict(),
                    "policy": stock.policy,
                    "donor_surplus": spare,
                    "forecast": forecast.as_dict() if forecast is not None else None,
                },
                meta,
            )
            stock.open_replenishment_for(str(rid), quantity, meta)
            return self._commit(replenishment, stock, primary=replenishment, created=True)

        return self._retrying(attempt)

    def _best_donor(self, sku: str, warehouse: str, warehouses: Sequence[str], today: object) -> tuple[str | None, int]:
        best: tuple[str | None, int] = (None, 0)
        for code in sorted(set(warehouses) - {warehouse}):
            other = self._maybe(stock_id(sku, code))
            if isinstance(other, Stock):
                spare = surplus_over_reorder_point(other.policy, other.daily_demand(today), other.available)  # type: ignore[arg-type]
                if spare > best[1]:
                    best = (code, spare)
        return best

    def order_replenishment(self, rid: UUID, supplier_reference: str, meta: Meta) -> Result:
        """Mark a purchase as ordered. A transfer suggestion becomes a real transfer now: it leaves the donor
        and is inbound at the target, where it counts in the position instead of the open replenishment."""

        def attempt() -> Result:
            replenishment = self.replenishment(rid)
            replenishment.mark_ordered(supplier_reference, meta)
            touched: list[Aggregate] = [replenishment]
            if replenishment.kind == "transfer":
                touched += self._dispatch_transfer(replenishment, meta)
            return self._commit(*touched, primary=replenishment)

        return self._retrying(attempt)

    def _dispatch_transfer(self, replenishment: Replenishment, meta: Meta) -> list[Aggregate]:
        donor = self.stock(replenishment.sku, replenishment.source_warehouse or "")
        target = self.stock(replenishment.sku, replenishment.warehouse)
        transfer = Transfer.dispatch(
            transfer_for(replenishment.id),
            replenishment.sku,
            donor.warehouse,
            target.warehouse,
            replenishment.quantity,
            meta,
        )
        donor.dispatch_transfer(str(transfer.id), target.warehouse, replenishment.quantity, meta)
        target.expect_transfer(str(transfer.id), donor.warehouse, replenishment.quantity, meta)
        target.close_replenishment(str(replenishment.id), "transfer_dispatched", meta)
        return [transfer, donor, target]

    def receive_replenishment(self, rid: UUID, quantity: int | None, meta: Meta) -> Result:
        """Goods arrived: the stock rises by what was received and the SKU × warehouse may reorder again.
        For a transfer, its goods move from inbound to on hand (unless the transfer was received already)."""

        def attempt() -> Result:
            replenishment = self.replenishment(rid)
            received = quantity or replenishment.quantity
            replenishment.receive(received, meta)
            stock = self.stock(replenishment.sku, replenishment.warehouse)
            if replenishment.kind == "transfer":
                transfer = self._load(transfer_for(rid), Transfer, "transfer")
                if not transfer.receive(meta):
                    return self._commit(replenishment, primary=replenishment)
                stock.receive_transfer(str(transfer.id), transfer.quantity, meta)
                return self._commit(replenishment, transfer, stock, primary=replenishment)
            stock.receive(received, f"replenishment:{rid}", meta)
            stock.close_replenishment(str(rid), "received", meta)
            return self._commit(replenishment, stock, primary=replenishment)

        return self._retrying(attempt)

    def cancel_replenishment(self, rid: UUID, reason: str, meta: Meta) -> Result:
        """Cancel an open or ordered purchase (a dispatched transfer is received or cancelled as a transfer)."""

        def attempt() -> Result:
            replenishment = self.replenishment(rid)
            replenishment.cancel(reason, meta)
            stock = self.stock(replenishment.sku, replenishment.warehouse)
            stock.close_replenishment(str(rid), "cancelled", meta)
            return self._commit(replenishment, stock, primary=replenishment)

        return self._retrying(attempt)


def transfer_for(replenishment_id: UUID) -> UUID:
    return stable_id("replenishment-transfer", str(replenishment_id))
