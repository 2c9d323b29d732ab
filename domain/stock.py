"""Stock aggregate: one stream per SKU × warehouse, guarding `available = on_hand − reserved ≥ 0`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
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


def stock_id(sku: str, warehouse: str) -> UUID:
    return stable_id("stock", sku, warehouse)


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

        def apply(self, aggregate: Any) -> None:
            aggregate.on_hand += self.quantity

    class Adjusted(ShopEvent):
        TOPIC = "shopops.stock.adjusted"
        delta: int
        reason: str

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

        def apply(self, aggregate: Any) -> None:
            aggregate.on_hand += self.quantity

    class TransferDispatched(ShopEvent):
        TOPIC = "shopops.stock.transfer_dispatched"
        transfer_id: str
        to_warehouse: str
        quantity: int

        def apply(self, aggregate: Any) -> None:
            aggregate.on_hand -= self.quantity

    class TransferExpected(ShopEvent):
        TOPIC = "shopops.stock.transfer_expected"
        transfer_id: str
        from_warehouse: str
        quantity: int

        def apply(self, aggregate: Any) -> None:
            aggregate.inbound += self.quantity

    class TransferReceived(ShopEvent):
        TOPIC = "shopops.stock.transfer_received"
        transfer_id: str
        quantity: int

        def apply(self, aggregate: Any) -> None:
            aggregate.inbound -= self.quantity
            aggregate.on_hand += self.quantity

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
        since = (today - timedelta(days=days)).isoformat()
        return sum(q for d, q in self.demand.items() if d > since) / days

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

    def receive(self, quantity: int, reference: str, meta: Meta) -> None:
        require_positive(quantity)
        self.record(self.Received, meta, quantity=quantity, reference=reference)

    def adjust(self, delta: int, reason: str, meta: Meta) -> None:
        """Correct on-hand (count, damage, loss). Never below what is reserved."""
        if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
            raise InvalidQuantityError("delta must be a non-zero integer")
        if self.on_hand + delta < self.reserved:
            raise InsufficientStockError(f"on_hand {self.on_hand} {delta:+d} would fall below reserved {self.reserved}")
        self.record(self.Adjusted, meta, delta=delta, reason=reason)

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

    def ship(self, order_id: str, quantity: int, meta: Meta) -> None:
        """Goods leave for an order, consuming its reservation here first, then free stock."""
        require_positive(quantity)
        from_reservation = min(quantity, self.reservations.get(order_id, 0))
        if quantity - from_reservation > self.available:
            raise InsufficientStockError(
                f"cannot ship {quantity} of {self.sku} from {self.warehouse}: "
                f"{from_reservation} reserved for the order, {self.available} available"
            )
        self.record(self.Shipped, meta, order_id=order_id, quantity=quantity, from_reservation=from_reservation)

    def restock(self, order_id: str, quantity: int, meta: Meta) -> None:
        require_positive(quantity)
        self.record(self.Restocked, meta, order_id=order_id, quantity=quantity)

    def dispatch_transfer(self, transfer_id: str, to_warehouse: str, quantity: int, meta: Meta) -> None:
        require_positive(quantity)
        if to_warehouse == self.warehouse:
            raise DomainError("a transfer needs two different warehouses")
        if quantity > self.available:
            raise InsufficientStockError(f"only {self.available} available, {quantity} requested")
        self.record(
            self.TransferDispatched, meta, transfer_id=transfer_id, to_warehouse=to_warehouse, quantity=quantity
        )

    def expect_transfer(self, transfer_id: str, from_warehouse: str, quantity: int, meta: Meta) -> None:
        require_positive(quantity)
        self.record(
            self.TransferExpected, meta, transfer_id=transfer_id, from_warehouse=from_warehouse, quantity=quantity
        )

    def receive_transfer(self, transfer_id: str, quantity: int, meta: Meta) -> None:
        require_positive(quantity)
        self.record(self.TransferReceived, meta, transfer_id=transfer_id, quantity=quantity)

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


class Transfer(ShopAggregate):
    """Stock moving between two warehouses: in transit until received."""

    TOPIC = "shopops.transfer"

    class Created(ShopCreated):
        """A transfer was dispatched."""

        TOPIC = "shopops.transfer.dispatched"
        sku: str
        from_warehouse: str
        to_warehouse: str
        quantity: int

    class Received(ShopEvent):
        TOPIC = "shopops.transfer.received"

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "received"

    def __init__(self, sku: str, from_warehouse: str, to_warehouse: str, quantity: int) -> None:
        self.sku = sku
        self.from_warehouse = from_warehouse
        self.to_warehouse = to_warehouse
        self.quantity = quantity
        self.status = "in_transit"

    @classmethod
    def dispatch(
        cls, transfer_id: UUID, sku: str, from_warehouse: str, to_warehouse: str, quantity: int, meta: Meta
    ) -> Transfer:
        require_positive(quantity)
        return cls._create(
            cls.Created,
            id=transfer_id,
            sku=sku,
            from_warehouse=from_warehouse,
            to_warehouse=to_warehouse,
            quantity=quantity,
            meta=meta.as_dict(),
        )

    def receive(self, meta: Meta) -> bool:
        """Mark received; returns False when it already was (receiving twice changes nothing)."""
        if self.status == "received":
            return False
        self.record(self.Received, meta)
        return True
