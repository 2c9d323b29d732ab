"""Channel aggregate: a sales channel (marketplace, storefront) as a record — the warehouses that serve it,
its share of their stock, a safety buffer and where shopops pushes stock and fulfilment — and the
available-to-sell rule every push follows."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Any
from uuid import UUID

from domain.base import DomainError, Meta, ShopAggregate, ShopCreated, ShopEvent, stable_id


def channel_id(code: str) -> UUID:
    return stable_id("channel", code)


def available_to_sell(share: Decimal, buffer: int, available: int) -> int:
    """`max(0, floor(share × Σ available over the channel's warehouses) − buffer)`."""
    return max(0, int((share * max(available, 0)).to_integral_value(rounding=ROUND_FLOOR)) - buffer)


def check_settings(warehouses: list[str], share: Decimal, buffer: int) -> None:
    if not Decimal(0) <= share <= Decimal(1):
        raise DomainError("share must be between 0 and 1")
    if isinstance(buffer, bool) or not isinstance(buffer, int) or buffer < 0:
        raise DomainError("buffer must be a non-negative integer")
    if len(set(warehouses)) != len(warehouses):
        raise DomainError("a warehouse is listed twice")


class Channel(ShopAggregate):
    """A channel's settings; every change is an event the available-to-sell projection follows."""

    TOPIC = "shopops.channel"

    class Created(ShopCreated):
        """A channel was configured for the first time."""

        TOPIC = "shopops.channel.configured"
        code: str
        name: str
        warehouses: list[str]
        share: str
        buffer: int
        stock_url: str | None
        fulfilment_url: str | None

    class Updated(ShopEvent):
        TOPIC = "shopops.channel.updated"
        name: str
        warehouses: list[str]
        share: str
        buffer: int
        stock_url: str | None
        fulfilment_url: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.name = self.name
            aggregate.warehouses = list(self.warehouses)
            aggregate.share = self.share
            aggregate.buffer = self.buffer
            aggregate.stock_url = self.stock_url
            aggregate.fulfilment_url = self.fulfilment_url

    def __init__(
        self,
        code: str,
        name: str,
        warehouses: list[str],
        share: str,
        buffer: int,
        stock_url: str | None,
        fulfilment_url: str | None,
    ) -> None:
        self.code = code
        self.name = name
        self.warehouses = list(warehouses)
        self.share = share
        self.buffer = buffer
        self.stock_url = stock_url
        self.fulfilment_url = fulfilment_url

    @classmethod
    def configure(cls, code: str, settings: dict[str, Any], meta: Meta) -> Channel:
        check_settings(settings["warehouses"], Decimal(settings["share"]), settings["buffer"])
        return cls._create(cls.Created, id=channel_id(code), code=code, **settings, meta=meta.as_dict())

    def update(self, settings: dict[str, Any], meta: Meta) -> bool:
        """Record new settings; False (nothing recorded) when they are the same as now."""
        check_settings(settings["warehouses"], Decimal(settings["share"]), settings["buffer"])
        current = {k: getattr(self, k) for k in settings}
        if current == settings:
            return False
        self.record(self.Updated, meta, **settings)
        return True
