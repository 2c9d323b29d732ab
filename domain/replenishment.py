"""Replenishment: the reorder rule (pure) and the Replenishment aggregate (open → ordered → received/cancelled)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from statistics import NormalDist
from typing import Any
from uuid import UUID

from domain.base import DomainError, InvalidTransitionError, Meta, ShopAggregate, ShopCreated, ShopEvent

SAFETY_METHODS = ("alpha", "service_level")


@dataclass(frozen=True)
class DemandForecast:
    """The forecast a reorder decision uses: daily demand over the protection period and its error."""

    daily_demand: float
    error_sd: float  # standard deviation of the daily forecast error (backtest), in units
    forecast_id: int
    model: str
    generated_at: str

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class ReorderDecision:
    """Inputs and outcome of one evaluation, recorded with the replenishment it raises."""

    daily_demand: float
    demand_source: str
    protection_days: int
    expected_demand: float
    safety_method: str
    safety_stock: float
    reorder_point: float
    target_position: float
    position: int
    quantity: int
    error_sd: float | None = None
    z: float | None = None

    @property
    def triggered(self) -> bool:
        return self.quantity > 0

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def service_level_z(service_level: float) -> float:
    """The standard normal quantile of a cycle service level (0.95 -> 1.645)."""
    if not 0.5 <= service_level < 1:
        raise DomainError(f"service_level must be in [0.5, 1), got {service_level}")
    return NormalDist().inv_cdf(service_level)


def reorder_decision(
    policy: dict[str, Any],
    daily_demand: float,
    available: int,
    inbound: int,
    demand_source: str = "moving_average",
    error_sd: float | None = None,
) -> ReorderDecision:
    """Reorder point = expected demand over lead time + review period + safety stock. Trigger when
    available + inbound < reorder point; order up to the target position (one more review period of demand
    on top), at least `min_order_qty`.

    Safety stock per the policy's `safety_method`: "alpha" (default) is S = α · ŷ, ŷ the expected demand over
    the protection period; "service_level" is S = z · σ · √(lead time + review), σ the daily forecast error
    and z the quantile of the policy's `service_level`. Without a forecast error (no forecast yet) the
    service-level method falls back to α · ŷ, and the decision says so."""
    protection = int(policy["lead_time_days"]) + int(policy["review_days"])
    expected = daily_demand * protection
    method = str(policy.get("safety_method") or "alpha")
    z: float | None = None
    if method == "service_level" and error_sd is not None:
        z = service_level_z(float(policy.get("service_level") or 0.95))
        safety = z * error_sd * math.sqrt(protection)
    else:
        if method == "service_level":
            method = "alpha (no forecast error yet)"
        safety = float(Decimal(str(policy["safety_factor"]))) * expected
    reorder_point = expected + safety
    target = reorder_point + daily_demand * int(policy["review_days"])
    position = available + inbound
    quantity = 0
    if position < reorder_point:
        quantity = max(math.ceil(target - position), int(policy["min_order_qty"]))
    return ReorderDecision(
        daily_demand,
        demand_source,
        protection,
        expected,
        method,
        safety,
        reorder_point,
        target,
        position,
        quantity,
        error_sd,
        z,
    )


def surplus_over_reorder_point(policy: dict[str, Any] | None, daily_demand: float, available: int) -> int:
    """What another warehouse could give away without falling below its own reorder point."""
    if policy is None:
        return max(available, 0)
    point = reorder_decision(policy, daily_demand, 0, 0).reorder_point
    return max(math.floor(available - point), 0)


class Replenishment(ShopAggregate):
    """A purchase (or transfer) request for one SKU × warehouse, with the decision that raised it."""

    TOPIC = "shopops.replenishment"
    STATUSES = ("open", "ordered", "received", "cancelled")

    class Created(ShopCreated):
        """A replenishment was opened by the reorder rule."""

        TOPIC = "shopops.replenishment.opened"
        sku: str
        warehouse: str
        quantity: int
        kind: str
        source_warehouse: str | None
        reason: str
        decision: dict[str, Any]

    class Ordered(ShopEvent):
        TOPIC = "shopops.replenishment.ordered"
        supplier_reference: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "ordered"

    class Received(ShopEvent):
        TOPIC = "shopops.replenishment.received"
        quantity: int

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "received"
            aggregate.received_quantity = self.quantity

    class Cancelled(ShopEvent):
        TOPIC = "shopops.replenishment.cancelled"
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "cancelled"

    def __init__(  # the fields of the decision
        self,
        sku: str,
        warehouse: str,
        quantity: int,
        kind: str,
        source_warehouse: str | None,
        reason: str,
        decision: dict[str, Any],
    ) -> None:
        self.sku = sku
        self.warehouse = warehouse
        self.quantity = quantity
        self.kind = kind
        self.source_warehouse = source_warehouse
        self.reason = reason
        self.decision = decision
        self.status = "open"
        self.received_quantity = 0

    @classmethod
    def open(
        cls,
        rid: UUID,
        sku: str,
        warehouse: str,
        quantity: int,
        kind: str,
        source_warehouse: str | None,
        reason: str,
        decision: dict[str, Any],
        meta: Meta,
    ) -> Replenishment:
        if kind not in ("purchase", "transfer"):
            raise DomainError("a replenishment is a purchase or a transfer")
        return cls._create(
            cls.Created,
            id=rid,
            sku=sku,
            warehouse=warehouse,
            quantity=quantity,
            kind=kind,
            source_warehouse=source_warehouse,
            reason=reason,
            decision=decision,
            meta=meta.as_dict(),
        )

    def mark_ordered(self, supplier_reference: str, meta: Meta) -> None:
        if self.status != "open":
            raise InvalidTransitionError(f"a {self.status} replenishment cannot be ordered")
        self.record(self.Ordered, meta, supplier_reference=supplier_reference)

    def receive(self, quantity: int, meta: Meta) -> None:
        if self.status not in ("open", "ordered"):
            raise InvalidTransitionError(f"a {self.status} replenishment cannot be received")
        if quantity <= 0:
            raise DomainError("received quantity must be positive")
        self.record(self.Received, meta, quantity=quantity)

    def cancel(self, reason: str, meta: Meta) -> None:
        if self.status not in ("open", "ordered"):
            raise InvalidTransitionError(f"a {self.status} replenishment cannot be cancelled")
        self.record(self.Cancelled, meta, reason=reason)
