"""Checkout holds: a time-limited reservation of one SKU in one warehouse (the `Hold` record) and the
stock events that count its units as reserved while it is active (placed, released, expired, converted)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from domain.base import (
    DomainError,
    InsufficientStockError,
    InvalidTransitionError,
    Meta,
    ShopAggregate,
    ShopCreated,
    ShopEvent,
    require_positive,
)

DEFAULT_TTL_SECONDS = 900
MAX_TTL_SECONDS = 3600
OUTCOMES = ("released", "expired", "converted")


def check_ttl(ttl_seconds: int, maximum: int = MAX_TTL_SECONDS) -> None:
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or not 1 <= ttl_seconds <= maximum:
        raise DomainError(f"ttl_seconds must be an integer from 1 to {maximum}")


class HoldPlaced(ShopEvent):
    """Units of this stock are held for a checkout: reserved until the hold ends."""

    TOPIC = "shopops.stock.hold_placed"
    hold_id: str
    quantity: int

    def apply(self, aggregate: Any) -> None:
        aggregate.reserved += self.quantity
        aggregate.holds[self.hold_id] = self.quantity


class HoldEnded(ShopEvent):
    """A hold was released or expired: its units are free again."""

    TOPIC = "shopops.stock.hold_ended"
    hold_id: str
    quantity: int
    outcome: str

    def apply(self, aggregate: Any) -> None:
        aggregate.reserved -= self.quantity
        aggregate.holds.pop(self.hold_id, None)


class HoldConverted(ShopEvent):
    """An order took the held units: they stay reserved, now for the order (one event, no gap)."""

    TOPIC = "shopops.stock.hold_converted"
    hold_id: str
    order_id: str
    quantity: int

    def apply(self, aggregate: Any) -> None:
        aggregate.holds.pop(self.hold_id, None)
        aggregate.reservations[self.order_id] = aggregate.reservations.get(self.order_id, 0) + self.quantity
        aggregate.count_demand(self.timestamp, self.quantity)


class HeldStock(Protocol):
    """What the hold rules need of a Stock aggregate."""

    holds: dict[str, int]
    reservations: dict[str, int]
    HoldPlaced: Any  # the Stock aggregate's own copies of the events below (the library re-defines them)
    HoldEnded: Any
    HoldConverted: Any

    @property
    def available(self) -> int: ...

    def record(self, event_class: Any, meta: Meta, **kwargs: Any) -> None: ...


def hold_units(stock: HeldStock, hold_id: str, quantity: int, meta: Meta) -> None:
    require_positive(quantity)
    if quantity > stock.available:
        raise InsufficientStockError(f"only {stock.available} available, {quantity} requested")
    stock.record(stock.HoldPlaced, meta, hold_id=hold_id, quantity=quantity)


def free_units(stock: HeldStock, hold_id: str, outcome: str, meta: Meta) -> int:
    quantity = stock.holds.get(hold_id, 0)
    if quantity:
        stock.record(stock.HoldEnded, meta, hold_id=hold_id, quantity=quantity, outcome=outcome)
    return quantity


def convert_units(stock: HeldStock, hold_id: str, order_id: str, quantity: int, meta: Meta) -> int:
    """Move up to `quantity` held units to the order's reservation; any held surplus is freed."""
    held = stock.holds.get(hold_id, 0)
    taken = min(held, quantity)
    if taken <= 0:
        return 0
    stock.record(stock.HoldConverted, meta, hold_id=hold_id, order_id=order_id, quantity=taken)
    if held > taken:  # the rest of the hold is no longer needed
        stock.record(stock.HoldEnded, meta, hold_id=hold_id, quantity=held - taken, outcome="converted")
    return taken


class Hold(ShopAggregate):
    """A checkout's hold on stock: active until released, expired or converted by an order line."""

    TOPIC = "shopops.hold"

    class Created(ShopCreated):
        """A hold was placed."""

        TOPIC = "shopops.hold.placed"
        sku: str
        warehouse: str
        quantity: int
        reference: str
        expires_at: str

    class Extended(ShopEvent):
        TOPIC = "shopops.hold.extended"
        expires_at: str

        def apply(self, aggregate: Any) -> None:
            aggregate.expires_at = self.expires_at

    class Ended(ShopEvent):
        TOPIC = "shopops.hold.ended"
        outcome: str
        order_id: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = self.outcome
            aggregate.order_id = self.order_id

    def __init__(
        self, sku: str, warehouse: str, quantity: int, reference: str, expires_at: str, meta: dict[str, Any]
    ) -> None:
        self.placed_at = datetime.fromisoformat(meta["business_time"])
        self.sku = sku
        self.warehouse = warehouse
        self.quantity = quantity
        self.reference = reference
        self.expires_at = expires_at
        self.status = "active"
        self.order_id: str | None = None

    @classmethod
    def place(
        cls, hold_id: UUID, sku: str, warehouse: str, quantity: int, reference: str, ttl_seconds: int, meta: Meta
    ) -> Hold:
        require_positive(quantity)
        check_ttl(ttl_seconds)
        expires = meta.business_time + timedelta(seconds=ttl_seconds)
        return cls._create(
            cls.Created,
            id=hold_id,
            sku=sku,
            warehouse=warehouse,
            quantity=quantity,
            reference=reference,
            expires_at=expires.isoformat(),
            meta=meta.as_dict(),
        )

    @property
    def expiry(self) -> datetime:
        return datetime.fromisoformat(self.expires_at)

    def extend(self, ttl_seconds: int, meta: Meta) -> None:
        """Push the expiry to now + ttl, never past `MAX_TTL_SECONDS` after placement."""
        self._require_active()
        check_ttl(ttl_seconds)
        expires = min(
            meta.business_time + timedelta(seconds=ttl_seconds), self.placed_at + timedelta(seconds=MAX_TTL_SECONDS)
        )
        if expires > self.expiry:
            self.record(self.Extended, meta, expires_at=expires.isoformat())

    def end(self, outcome: str, meta: Meta, order_id: str | None = None) -> bool:
        """End an active hold; False when it already ended (or, for expiry, when it is not due yet)."""
        if outcome not in OUTCOMES:
            raise DomainError(f"unknown hold outcome {outcome!r}")
        if self.status != "active" or (outcome == "expired" and meta.business_time < self.expiry):
            return False
        self.record(self.Ended, meta, outcome=outcome, order_id=order_id)
        return True

    def _require_active(self) -> None:
        if self.status != "active":
            raise InvalidTransitionError(f"a hold that is {self.status} cannot change")
