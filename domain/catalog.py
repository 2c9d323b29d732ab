"""Catalog aggregates: Product (one per SKU) and Warehouse (one per code)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.base import DomainError, Meta, ShopAggregate, ShopCreated, ShopEvent, stable_id
from domain.costing import Cost


def product_id(sku: str) -> UUID:
    return stable_id("product", sku)


def warehouse_id(code: str) -> UUID:
    return stable_id("warehouse", code)


def _check_price(amount: Decimal, currency: str) -> None:
    if amount < 0:
        raise DomainError("unit_price.amount must not be negative")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise DomainError("currency must be a three-letter ISO 4217 code")


class Product(ShopAggregate):
    """A sellable SKU with its category, list price and supplier lead time."""

    TOPIC = "shopops.product"

    class Created(ShopCreated):
        """A product was registered."""

        TOPIC = "shopops.product.registered"
        sku: str
        name: str
        category: str
        unit_price: str
        currency: str
        lead_time_days: int

    class Updated(ShopEvent):
        TOPIC = "shopops.product.updated"
        name: str
        category: str
        unit_price: str
        currency: str
        lead_time_days: int

        def apply(self, aggregate: Any) -> None:
            aggregate.name = self.name
            aggregate.category = self.category
            aggregate.unit_price = self.unit_price
            aggregate.currency = self.currency
            aggregate.lead_time_days = self.lead_time_days

    class StandardCostSet(ShopEvent):
        """The standard unit cost: the average of stock that has no cost of its own yet (money)."""

        TOPIC = "shopops.product.standard_cost_set"
        unit_cost: str
        currency: str

        def apply(self, aggregate: Any) -> None:
            aggregate.unit_cost = self.unit_cost
            aggregate.cost_currency = self.currency

    def __init__(self, sku: str, name: str, category: str, unit_price: str, currency: str, lead_time_days: int) -> None:
        self.sku = sku
        self.name = name
        self.category = category
        self.unit_price = unit_price
        self.currency = currency
        self.lead_time_days = lead_time_days
        self.unit_cost: str | None = None
        self.cost_currency: str | None = None

    def standard_cost(self) -> Cost | None:
        return Cost.of(self.unit_cost, self.cost_currency)

    def set_standard_cost(self, cost: Cost, meta: Meta) -> None:
        """Record a new standard cost (the same one again records nothing)."""
        if cost != self.standard_cost():
            self.record(self.StandardCostSet, meta, unit_cost=str(cost.amount), currency=cost.currency)

    @classmethod
    def register(
        cls, sku: str, name: str, category: str, unit_price: Decimal, currency: str, lead_time_days: int, meta: Meta
    ) -> Product:
        _check_price(unit_price, currency)
        if lead_time_days < 0:
            raise DomainError("lead_time_days must not be negative")
        return cls._create(
            cls.Created,
            id=product_id(sku),
            sku=sku,
            name=name,
            category=category,
            unit_price=str(unit_price),
            currency=currency,
            lead_time_days=lead_time_days,
            meta=meta.as_dict(),
        )

    def update(
        self, name: str, category: str, unit_price: Decimal, currency: str, lead_time_days: int, meta: Meta
    ) -> None:
        _check_price(unit_price, currency)
        if lead_time_days < 0:
            raise DomainError("lead_time_days must not be negative")
        fields = (name, category, str(unit_price), currency, lead_time_days)
        if fields == (self.name, self.category, self.unit_price, self.currency, self.lead_time_days):
            return
        self.record(
            self.Updated,
            meta,
            name=name,
            category=category,
            unit_price=str(unit_price),
            currency=currency,
            lead_time_days=lead_time_days,
        )


class Warehouse(ShopAggregate):
    """A stock location with its region (used by routing)."""

    TOPIC = "shopops.warehouse"

    class Created(ShopCreated):
        """A warehouse was registered."""

        TOPIC = "shopops.warehouse.registered"
        code: str
        name: str
        region: str

    class Updated(ShopEvent):
        TOPIC = "shopops.warehouse.updated"
        name: str
        region: str

        def apply(self, aggregate: Any) -> None:
            aggregate.name = self.name
            aggregate.region = self.region

    def __init__(self, code: str, name: str, region: str) -> None:
        self.code = code
        self.name = name
        self.region = region

    @classmethod
    def register(cls, code: str, name: str, region: str, meta: Meta) -> Warehouse:
        return cls._create(cls.Created, id=warehouse_id(code), code=code, name=name, region=region, meta=meta.as_dict())

    def update(self, name: str, region: str, meta: Meta) -> None:
        if (name, region) != (self.name, self.region):
            self.record(self.Updated, meta, name=name, region=region)
