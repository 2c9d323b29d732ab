"""Plumbing shared by every command: bounded retries on version conflicts, loading, saving, positions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from application.errors import ConcurrencyError, NotFoundError, VersionMismatchError
from application.ports import PersonalDataVault
from domain.base import Meta, UnknownReferenceError
from domain.catalog import Product, Warehouse, product_id, warehouse_id
from domain.costing import Cost
from domain.order import Order
from domain.stock import Stock, stock_id
from domain.ticket import Ticket

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Result:
    """What a command returns: the aggregate after the command, and the position of its last event."""

    aggregate: Any
    position: int | None
    created: bool = False


class ShopOpsBase(Application[UUID]):
    """Loading, saving and retrying; the command mixins build on it and `ShopOps` combines them."""

    retries = 12
    vault: PersonalDataVault | None = None

    def _retrying(self, attempt: Callable[[], Result]) -> Result:
        """Run a load-decide-save attempt again after a version conflict, at most `retries` times.

        A short random exponential back-off spreads contending writers so that a hot stream (one SKU in
        one warehouse) still lets every command through in turn instead of failing after a few losses.
        """
        retrying = Retrying(
            retry=retry_if_exception_type(IntegrityError),
            stop=stop_after_attempt(self.retries),
            wait=wait_random_exponential(multiplier=0.002, max=0.05),
            reraise=True,
        )
        try:
            return retrying(attempt)
        except IntegrityError:
            raise ConcurrencyError("the record changed concurrently too often; try again") from None

    def _commit(self, *aggregates: Aggregate, primary: Any, created: bool = False) -> Result:
        recordings = self.save(*aggregates)
        position = recordings[-1].notification.id if recordings else None
        return Result(primary, position, created)

    def _load(self, aggregate_id: UUID, kind: type[A], what: str) -> A:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFoundError(f"{what} not found") from None
        if not isinstance(aggregate, kind):
            raise NotFoundError(f"{what} not found")
        return aggregate

    def _maybe(self, aggregate_id: UUID) -> Any | None:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    @staticmethod
    def _check_version(aggregate: Aggregate, if_match: int | None) -> None:
        if if_match is not None and aggregate.version != if_match:
            raise VersionMismatchError(if_match, aggregate.version)

    def position(self) -> int:
        return self.recorder.max_notification_id() or 0

    # ---- queries over the event store (audit, command responses) --------------------------------------

    def get_aggregate(self, aggregate_id: UUID, version: int | None = None) -> Any:
        try:
            return self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFoundError("record not found") from None

    def product(self, sku: str) -> Product:
        return self._load(product_id(sku), Product, f"product {sku}")

    def warehouse(self, code: str) -> Warehouse:
        return self._load(warehouse_id(code), Warehouse, f"warehouse {code}")

    def stock(self, sku: str, warehouse: str) -> Stock:
        return self._load(stock_id(sku, warehouse), Stock, f"stock of {sku} in {warehouse}")

    def order(self, oid: UUID) -> Order:
        return self._load(oid, Order, "order")

    def ticket(self, tid: UUID) -> Ticket:
        return self._load(tid, Ticket, "ticket")

    def _require_known(self, skus: list[str] | tuple[str, ...] = (), warehouses: tuple[str, ...] = ()) -> None:
        unknown_skus = [s for s in skus if not self._exists(product_id(s))]
        if unknown_skus:
            raise UnknownReferenceError(f"unknown SKU(s): {', '.join(sorted(set(unknown_skus)))}")
        unknown_wh = [w for w in warehouses if not self._exists(warehouse_id(w))]
        if unknown_wh:
            raise UnknownReferenceError(f"unknown warehouse(s): {', '.join(sorted(set(unknown_wh)))}")

    def _exists(self, aggregate_id: UUID) -> bool:
        """Whether a catalogue record (product, warehouse) exists. They are never removed, so a yes is kept
        for the life of the process and a hot SKU costs no event-store read per order; a no is asked again."""
        known: set[UUID] = self.__dict__.setdefault("_known_records", set())
        if aggregate_id in known:
            return True
        if self._maybe(aggregate_id) is None:
            return False
        known.add(aggregate_id)
        return True

    def _standard_cost(self, sku: str) -> Cost | None:
        """The product's standard cost: the fallback for stock that has no cost of its own yet (money)."""
        product = self._maybe(product_id(sku))
        return product.standard_cost() if isinstance(product, Product) else None

    def _stock_or_open(self, sku: str, warehouse: str, meta: Meta) -> Stock:
        existing = self._maybe(stock_id(sku, warehouse))
        return existing if existing is not None else Stock.open(sku, warehouse, meta)
