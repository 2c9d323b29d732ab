"""Shared domain building blocks: event metadata (who, why, when), the base aggregate and domain errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

ID_NAMESPACE = uuid5(NAMESPACE_URL, "https://shopops.invalid/ids")


def stable_id(kind: str, *parts: str) -> UUID:
    """Deterministic id: the same natural key always names the same stream (create-once races are safe)."""
    return uuid5(ID_NAMESPACE, ":".join((kind, *parts)))


@dataclass(frozen=True)
class Actor:
    """Who decided: a user (id and role) or a worker (its name)."""

    id: str
    role: str
    kind: str = "user"

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "role": self.role, "kind": self.kind}


SYSTEM_ACTOR = Actor(id="system", role="system", kind="system")


@dataclass(frozen=True)
class Meta:
    """Metadata carried by every event (D3): actor, correlation id, causation id and business time."""

    actor: Actor = SYSTEM_ACTOR
    correlation_id: str = ""
    causation_id: str | None = None
    business_time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor.as_dict(),
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "business_time": self.business_time.isoformat(),
        }


class DomainError(Exception):
    """A command broke a business rule; nothing was recorded."""

    code = "domain_error"


class InvalidQuantityError(DomainError):
    code = "invalid_quantity"


class InsufficientStockError(DomainError):
    code = "insufficient_stock"


class InvalidTransitionError(DomainError):
    code = "invalid_transition"


class UnknownReferenceError(DomainError):
    code = "unknown_reference"


def require_positive(quantity: int, what: str = "quantity") -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidQuantityError(f"{what} must be a positive integer, got {quantity!r}")


class ShopEvent(Aggregate.Event):
    """Base of every shopops event: carries `meta`, the dict form of `Meta`."""

    meta: dict[str, Any]


class ShopCreated(ShopEvent, Aggregate.Created):
    """Base of every shopops creation event. Aggregates alias theirs as `Created` (explicit topics)."""


class ShopAggregate(Aggregate):
    """Base aggregate with a helper that triggers events together with their metadata."""

    def record(self, event_class: type[Aggregate.Event], meta: Meta, **kwargs: Any) -> None:
        """Trigger an event with its metadata."""
        self.trigger_event(event_class, meta=meta.as_dict(), **kwargs)
