"""Stock aggregate: one stream per SKU × warehouse, guarding `available = on_hand − reserved ≥ 0`."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain import hold
from domain.base import (
    DomainError,
    InsufficientStockError,
    InvalidQuantityError,
    Meta,
    ShopAggregate,
    ShopCreated,
    ShopEvent,
    require_positive,
    stable_id,
)
from domain.costing import Cost, moving_average
from domain.transfer import Transfer

__all__ = ["Stock", "Transfer", "stock_id"]  # Transfer lives in domain.transfer (re-exported)


def stock_id(sku: str, warehouse: str) -> UUID:
    return stable_id("stock", sku, warehouse)


def trailing_daily_demand(demand: Mapping[str, int], today: date, days: int = 28) -> float:
    """Mean units per day over the `days` days ending today (`demand` maps ISO dates to units asked)."""
    since = (today - timedelta(days=days)).isoformat()
    return sum(q for d, q in demand.items() if d > since) / days


class Stock(ShopAggregate):
    """Quantities of one SKU in one warehouse: on hand, reserved for orders, and inbound by transfer."""

    TOPIC = "shopops.stock"

    class Created(ShopCreated):
        """A stock record was opened for a SKU in a warehouse."""

        TOPIC = "shopops.stock.opened"
        sku: str
        warehouse: str

    class Received(ShopEvent):
        TOPIC = "shopops.stock.received"
        quantity: int
        reference: str
        unit_cost: str | None = None  # what these units cost (money: the receipt's actual or assumed cost)
        currency: str | None = None
        average_cost: str | None = None  # the moving-average unit cost after this receipt

        def apply(self, aggregate: Any) -> None:
            aggregate.on_hand += self.quantity
            aggregate.set_average(self.average_cost, self.currency)

    class Adjusted(ShopEvent):
        TOPIC = "shopops.stock.adjusted"
        delta: int
        reason: str
        unit_cost: str | None = None  # the average cost the units were counted at (written off or found)
        currency: str | None = None

        def apply(self, aggregate: Any) -> None:
            aggregate.on_hand += self.delta

    class Reserved(ShopEvent):
        TOPIC = "shopops.stock.reserved"
        order_id: str
        quantity: int

        def apply(self, aggregate: Any) -> None:
            aggregate.reserved += self.quantity
            aggregate.reservations[self.order_id] = aggregate.reservations.get(self.order_id, 0) + self.quantity
            aggregate.count_demand(self.timestamp, self.quantity)

    class Released(ShopEvent):
        TOPIC = "shopops.stock.released"
        order_id: str
        quantity: int

        def apply(self, aggregate: Any) -> None:
            aggregate.reserved -= self.quantity
            left = aggregate.reservations.get(self.order_id, 0) - self.quantity
            if left > 0:
                aggregate.reservations[self.order_id] = left
            else:
                aggregate.reservations.pop(self.order_id, None)

    class Shipped(ShopEvent):
        """Goods left the warehouse for an order: its reservation (if any) is consumed first."""

        TOPIC = "shopops.stock.shipped"
        order_id: str
        quantity: int
        from_reservation: int
        unit_cost: str | None = None  # the moving-average cost at that moment: COGS = quantity × unit_cost
        currency: str | None = None

        def apply(self, aggregate: Any) -> None:
            aggregate.on_hand -= self.quantity
            aggregate.count_demand(self.timestamp, self.quantity - self.from_reservation)
            if self.from_reservation:
                aggregate.reserved -= self.from_reservation
                left = aggregate.reservations.get(self.order_id, 0) - self.from_reservation
                if left > 0:
                    aggregate.reservations[self.order_id] = left
                else:
                    aggregate.reservations.pop(self.order_id, None)

    class Restocked(ShopEvent):
        TOPIC = "shopops.stock.restocked"
        order_id: str
        quantity: int
        unit_cost: str | None = None  # the cost the units shipped at, back into the average
        currency: str | None = None
        average_cost: str | None = None

        def apply(self, aggregate: Any) -> None:
            aggregate.on_hand += self.quantity
            aggregate.set_average(self.average_cost, self.currency)

    class TransferDispatched(ShopEvent):
        TOPIC = "shopops.stock.transfer_dispatched"
        transfer_id: str
        to_warehouse: str
        quantity: int
        unit_cost: str | None = None  # the source's average cost leaves with the goods
        currency: str | None = None

        def apply(self, aggregate: Any) -> None:
            aggregate.on_hand -= self.quantity

    class TransferExpected(ShopEvent):
        TOPIC = "shopops.stock.transfer_expected"
        transfer_id: str
        from_warehouse: str
        quantity: int
        unit_cost: str | None = None
        currency: str | None = None

        def apply(self, aggregate: Any) -> None:
            aggregate.inbound += self.quantity
            if self.unit_cost is not None and self.currency:
                aggregate.inbound_costs[self.transfer_id] = [self.unit_cost, self.currency]

    class TransferReceived(ShopEvent):
        TOPIC = "shopops.stock.transfer_received"
        transfer_id: str
        quantity: int
        unit_cost: str | None = None
        currency: str | None = None
        average_cost: str | None = None

        def apply(self, aggregate: Any) -> None:
            aggregate.inbound -= self.quantity
            aggregate.on_hand += self.quantity
            aggregate.inbound_costs.pop(self.transfer_id, None)
            aggregate.set_average(self.average_cost, self.currency)

    class PolicySet(ShopEvent):
        TOPIC = "shopops.stock.policy_set"
        safety_factor: str
        lead_time_days: int
        review_days: int
        min_order_qty: int
        safety_method: str = "alpha"
        service_level: str = "0.95"
        class_version = 2  # v2 added the safety method and service level (forecasting)

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Policies recorded before v2 used α · ŷ safety stock."""
            state.setdefault("safety_method", "alpha")
            state.setdefault("service_level", "0.95")

        def apply(self, aggregate: Any) -> None:
            aggregate.policy = {
                "safety_factor": self.safety_factor,
                "lead_time_days": self.lead_time_days,
                "review_days": self.review_days,
                "min_order_qty": self.min_order_qty,
                "safety_method": self.safety_method,
                "service_level": self.service_level,
            }

    class ReplenishmentOpened(ShopEvent):
        TOPIC = "shopops.stock.replenishment_opened"
        replenishment_id: str
        quantity: int

        def apply(self, aggregate: Any) -> None:
            aggregate.open_replenishment = self.replenishment_id
            aggregate.on_order = self.quantity

    class ReplenishmentClosed(ShopEvent):
        """The open replenishment was received (its goods are in `Received`) or cancelled."""

        TOPIC = "shopops.stock.replenishment_closed"
        replenishment_id: str
        outcome: str

        def apply(self, aggregate: Any) -> None:
            aggregate.open_replenishment = None
            aggregate.on_order = 0

    # Checkout holds (domain/hold.py): units held count as reserved while the hold is active.
    HoldPlaced = hold.HoldPlaced
    HoldEnded = hold.HoldEnded
    HoldConverted = hold.HoldConverted

    def __init__(self, sku: str, warehouse: str) -> None:
        self.holds: dict[str, int] = {}
        self.sku = sku
        self.warehouse = warehouse
        self.on_hand = 0
        self.reserved = 0
        self.inbound = 0
        self.on_order = 0
        self.open_replenishment: str | None = None
        self.reservations: dict[str, int] = {}
        self.policy: dict[str, Any] | None = None
        self.demand: dict[str, int] = {}
        self.unit_cost: str | None = None
        self.currency: str | None = None
        self.inbound_costs: dict[str, list[str]] = {}

    def __deepcopy__(self, memo: dict[int, Any]) -> Stock:
        """A copy for a command (the application's aggregate cache hands out copies): the per-order maps hold
        only strings and integers, so copying them flat is enough, and much faster than a generic deep copy
        once a hot SKU has thousands of open reservations."""
        clone = object.__new__(type(self))
        flat = {"holds", "reservations", "demand"}
        for name, value in self.__dict__.items():
            clone.__dict__[name] = dict(value) if name in flat else copy.deepcopy(value, memo)
        return clone

    def set_average(self, average_cost: str | None, currency: str | None) -> None:
        """Assign the moving average an event carries (events without a cost leave it as it is)."""
        if average_cost is not None and currency:
            self.unit_cost = average_cost
            self.currency = currency

    def cost(self) -> Cost | None:
        """The moving-average unit cost now (None until a cost is known)."""
        return Cost.of(self.unit_cost, self.currency)

    def _arrival(self, quantity: int, cost: Cost | None) -> dict[str, Any]:
        """The cost fields of an arrival: its unit cost and the new average (nothing when no cost is known)."""
        if cost is None:
            return {}
        average = moving_average(self.on_hand, self.cost(), quantity, cost)
        return {"unit_cost": str(cost.amount), "currency": cost.currency, "average_cost": str(average.amount)}

    def _at_cost(self, cost: Cost | None = None) -> dict[str, Any]:
        """The cost fields of a departure: the average now (or the fallback given, e.g. a standard cost)."""
        chosen = self.cost() or cost
        return {"unit_cost": str(chosen.amount), "currency": chosen.currency} if chosen else {}

    DEMAND_DAYS = 56

    def count_demand(self, at: datetime, quantity: int) -> None:
        """Units asked of this warehouse per day, for the last `DEMAND_DAYS` days (trailing demand)."""
        if quantity <= 0:
            return
        day = at.date().isoformat()
        self.demand[day] = self.demand.get(day, 0) + quantity
        oldest = (at.date() - timedelta(days=self.DEMAND_DAYS)).isoformat()
        self.demand = {d: q for d, q in self.demand.items() if d > oldest}

    def daily_demand(self, today: date, days: int = 28) -> float:
        """Trailing moving average of daily demand (the forecast until a model's forecast is available)."""
        return trailing_daily_demand(self.demand, today, days)

    def open_replenishment_for(self, replenishment_id: str, quantity: int, meta: Meta) -> None:
        if self.open_replenishment is not None:
            raise DomainError(
                f"replenishment {self.open_replenishment} is already open for {self.sku}/{self.warehouse}"
            )
        require_positive(quantity)
        self.record(self.ReplenishmentOpened, meta, replenishment_id=replenishment_id, quantity=quantity)

    def close_replenishment(self, replenishment_id: str, outcome: str, meta: Meta) -> None:
        if self.open_replenishment == replenishment_id:
            self.record(self.ReplenishmentClosed, meta, replenishment_id=replenishment_id, outcome=outcome)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @classmethod
    def open(cls, sku: str, warehouse: str, meta: Meta) -> Stock:
        return cls._create(cls.Created, id=stock_id(sku, warehouse), sku=sku, warehouse=warehouse, meta=meta.as_dict())

    def receive(self, quantity: int, reference: str, meta: Meta, cost: Cost | None = None) -> None:
        """Goods arrive at `cost` (the receipt's, else the caller's fallback); the moving average follows."""
        require_positive(quantity)
        arrival = self._arrival(quantity, cost or self.cost())
        self.record(self.Received, meta, quantity=quantity, reference=reference, **arrival)

    def adjust(self, delta: int, reason: str, meta: Meta, fallback: Cost | None = None) -> None:
        """Correct on-hand (count, damage, loss). Never below what is reserved."""
        if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
            raise InvalidQuantityError("delta must be a non-zero integer")
        if self.on_hand + delta < self.reserved:
            raise InsufficientStockError(f"on_hand {self.on_hand} {delta:+d} would fall below reserved {self.reserved}")
        self.record(self.Adjusted, meta, delta=delta, reason=reason, **self._at_cost(fallback))

    def reserve(self, order_id: str, quantity: int, meta: Meta) -> None:
        require_positive(quantity)
        if quantity > self.available:
            raise InsufficientStockError(f"only {self.available} available, {quantity} requested")
        self.record(self.Reserved, meta, order_id=order_id, quantity=quantity)

    def release(self, order_id: str, meta: Meta) -> int:
        """Release everything reserved for an order; returns the quantity released."""
        quantity = self.reservations.get(order_id, 0)
        if quantity:
            self.record(self.Released, meta, order_id=order_id, quantity=quantity)
        return quantity

    def ship(self, order_id: str, quantity: int, meta: Meta, fallback: Cost | None = None) -> None:
        """Goods leave for an order, consuming its reservation here first, then free stock."""
        require_positive(quantity)
        from_reservation = min(quantity, self.reservations.get(order_id, 0))
        if quantity - from_reservation > self.available:
            raise InsufficientStockError(
                f"cannot ship {quantity} of {self.sku} from {self.warehouse}: "
                f"{from_reservation} reserved for the order, {self.available} available"
            )
        self.record(
            self.Shipped,
            meta,
            order_id=order_id,
            quantity=quantity,
            from_reservation=from_reservation,
            **self._at_cost(fallback),
        )

    def restock(self, order_id: str, quantity: int, meta: Meta, cost: Cost | None = None) -> None:
        """Returned goods back on hand at the cost they shipped at (else the average now)."""
        require_positive(quantity)
        arrival = self._arrival(quantity, cost or self.cost())
        self.record(self.Restocked, meta, order_id=order_id, quantity=quantity, **arrival)

    def dispatch_transfer(
        self, transfer_id: str, to_warehouse: str, quantity: int, meta: Meta, fallback: Cost | None = None
    ) -> None:
        require_positive(quantity)
        if to_warehouse == self.warehouse:
            raise DomainError("a transfer needs two different warehouses")
        if quantity > self.available:
            raise InsufficientStockError(f"only {self.available} available, {quantity} requested")
        self.record(
            self.TransferDispatched,
            meta,
            transfer_id=transfer_id,
            to_warehouse=to_warehouse,
            quantity=quantity,
            **self._at_cost(fallback),
        )

    def expect_transfer(
        self, transfer_id: str, from_warehouse: str, quantity: int, meta: Meta, cost: Cost | None = None
    ) -> None:
        """Goods on their way here, carrying the source's average cost (applied when they arrive)."""
        require_positive(quantity)
        fields = {"unit_cost": str(cost.amount), "currency": cost.currency} if cost else {}
        self.record(
            self.TransferExpected,
            meta,
            transfer_id=transfer_id,
            from_warehouse=from_warehouse,
            quantity=quantity,
            **fields,
        )

    def receive_transfer(self, transfer_id: str, quantity: int, meta: Meta) -> None:
        """The transfer arrived: its units join the moving average at the cost they left the source at."""
        require_positive(quantity)
        carried = self.inbound_costs.get(transfer_id)
        arrival = self._arrival(quantity, Cost(Decimal(carried[0]), carried[1]) if carried else self.cost())
        self.record(self.TransferReceived, meta, transfer_id=transfer_id, quantity=quantity, **arrival)

    def set_policy(
        self,
        safety_factor: str,
        lead_time_days: int,
        review_days: int,
        min_order_qty: int,
        meta: Meta,
        safety_method: str = "alpha",
        service_level: str = "0.95",
    ) -> None:
        """Replenishment policy. Safety stock is α · ŷ ("alpha") or z · σ · √(lead + review) ("service_level")."""
        if lead_time_days < 0 or review_days < 0 or min_order_qty < 1:
            raise DomainError("lead_time_days and review_days must be ≥ 0, min_order_qty ≥ 1")
        if safety_method not in ("alpha", "service_level"):
            raise DomainError("safety_method must be 'alpha' or 'service_level'")
        if not 0.5 <= float(service_level) < 1:
            raise DomainError("service_level must be at least 0.5 and below 1")
        self.record(
            self.PolicySet,
            meta,
            safety_factor=safety_factor,
            lead_time_days=lead_time_days,
            review_days=review_days,
            min_order_qty=min_order_qty,
            safety_method=safety_method,
            service_level=service_level,
        )
