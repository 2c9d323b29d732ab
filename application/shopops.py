"""The ShopOps application: every command on orders, stock, catalog and tickets, one `save()` per command.

All aggregates live in one application (one events table, one ordered notification log) so a command that
touches an order and several stock records commits atomically (D2). Every command reloads and retries on a
version conflict a bounded number of times; creation uses deterministic ids so create-once races are safe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from application.errors import ConcurrencyError, NotFoundError, VersionMismatchError
from domain.base import DomainError, Meta, UnknownReferenceError
from domain.catalog import Product, Warehouse, product_id, warehouse_id
from domain.order import Order, order_id
from domain.routing import route
from domain.stock import Stock, Transfer, stock_id
from domain.ticket import Agent, Ticket, agent_id

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Result:
    """What a command returns: the aggregate after the command, and the position of its last event."""

    aggregate: Any
    position: int | None
    created: bool = False


class ShopOps(Application[UUID]):
    """Commands for the shopops domain. `name` is persisted (table prefix, tracking key): never change it."""

    name = "shopops"
    retries = 12

    # ---- plumbing -------------------------------------------------------------------------------------

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
        unknown_skus = [s for s in skus if self._maybe(product_id(s)) is None]
        if unknown_skus:
            raise UnknownReferenceError(f"unknown SKU(s): {', '.join(sorted(set(unknown_skus)))}")
        unknown_wh = [w for w in warehouses if self._maybe(warehouse_id(w)) is None]
        if unknown_wh:
            raise UnknownReferenceError(f"unknown warehouse(s): {', '.join(sorted(set(unknown_wh)))}")

    def _stock_or_open(self, sku: str, warehouse: str, meta: Meta) -> Stock:
        existing = self._maybe(stock_id(sku, warehouse))
        return existing if existing is not None else Stock.open(sku, warehouse, meta)

    # ---- catalog --------------------------------------------------------------------------------------

    def put_warehouse(self, code: str, name: str, region: str, meta: Meta) -> Result:
        """Create or update a warehouse (PUT semantics: the same body twice records nothing new)."""

        def attempt() -> Result:
            existing = self._maybe(warehouse_id(code))
            if existing is None:
                warehouse = Warehouse.register(code, name, region, meta)
                return self._commit(warehouse, primary=warehouse, created=True)
            existing.update(name, region, meta)
            return self._commit(existing, primary=existing)

        result = self._retrying(attempt)
        return Result(result.aggregate, result.position or self.position(), result.created)

    def put_product(
        self, sku: str, name: str, category: str, unit_price: Decimal, currency: str, lead_time_days: int, meta: Meta
    ) -> Result:
        def attempt() -> Result:
            existing = self._maybe(product_id(sku))
            if existing is None:
                product = Product.register(sku, name, category, unit_price, currency, lead_time_days, meta)
                return self._commit(product, primary=product, created=True)
            existing.update(name, category, unit_price, currency, lead_time_days, meta)
            return self._commit(existing, primary=existing)

        result = self._retrying(attempt)
        return Result(result.aggregate, result.position or self.position(), result.created)

    # ---- stock ----------------------------------------------------------------------------------------

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
        self, sku: str, warehouse: str, quantity: int, reference: str, meta: Meta, if_match: int | None = None
    ) -> Result:
        """Goods arrived at a warehouse (supplier delivery, found stock)."""
        return self._stock_command(sku, warehouse, if_match, lambda s: s.receive(quantity, reference, meta), meta)

    def adjust_stock(
        self, sku: str, warehouse: str, delta: int, reason: str, meta: Meta, if_match: int | None = None
    ) -> Result:
        """Correct on-hand after a count, damage or loss; refused when on-hand would fall below reserved."""
        return self._stock_command(sku, warehouse, if_match, lambda s: s.adjust(delta, reason, meta), meta)

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
            source.dispatch_transfer(str(transfer_id), to_wh, quantity, meta)
            target.expect_transfer(str(transfer_id), from_wh, quantity, meta)
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

    # ---- orders ---------------------------------------------------------------------------------------

    def place_order(
        self, channel: str, external_id: str, customer: dict[str, Any], lines: list[dict[str, Any]], meta: Meta
    ) -> Result:
        """Place an order once per (channel, external_id); placing it again returns the existing order.

        Lines are checked against the catalog. Routing and allocation are the dispatch worker's job,
        so the order stays `placed` here.
        """
        oid = order_id(channel, external_id)
        existing = self._maybe(oid)
        if existing is not None:
            return Result(existing, self.position(), created=False)
        self._require_known([line["sku"] for line in lines])
        order = Order.place(channel, external_id, customer, lines, meta)
        try:
            return self._commit(order, primary=order, created=True)
        except IntegrityError:
            return Result(self.order(oid), self.position(), created=False)

    def _order_command(self, oid: UUID, if_match: int | None, change: Callable[[Order], list[Aggregate]]) -> Result:
        def attempt() -> Result:
            order = self.order(oid)
            self._check_version(order, if_match)
            others = change(order)
            return self._commit(order, *others, primary=order)

        return self._retrying(attempt)

    def record_payment(
        self, oid: UUID, amount: Decimal, currency: str, reference: str, meta: Meta, if_match: int | None = None
    ) -> Result:
        def change(order: Order) -> list[Aggregate]:
            order.record_payment(amount, currency, reference, meta)
            return []

        return self._order_command(oid, if_match, change)

    def cancel_order(self, oid: UUID, reason: str, meta: Meta, if_match: int | None = None) -> Result:
        """Cancel before shipping and release every reservation the order holds, in one transaction."""

        def change(order: Order) -> list[Aggregate]:
            if not order.cancel(reason, meta):
                return []
            released: list[Aggregate] = []
            for sku in order.ordered():
                for stock in self._stocks_reserved_for(order, sku):
                    stock.release(str(order.id), meta)
                    released.append(stock)
            return released

        return self._order_command(oid, if_match, change)

    def allocate_order(self, oid: UUID, warehouses: list[str], preferred: list[str], meta: Meta) -> Result:
        """Route the order across `warehouses` and reserve its stock: the decision and every reservation are
        one `save()`, so concurrent allocations can never oversell; a version conflict reloads and re-decides.
        An order that needs nothing (already allocated, cancelled, shipped) is left as it is."""

        def attempt() -> Result:
            order = self.order(oid)
            needed = order.needs_allocation()
            if not needed:
                return Result(order, None)
            stocks = {(sku, wh): self._maybe(stock_id(sku, wh)) for wh in warehouses for sku in needed}
            available = {
                wh: {sku: s.available for (sku, w), s in stocks.items() if w == wh and isinstance(s, Stock)}
                for wh in warehouses
            }
            routing = route(needed, available, preferred)
            if not routing.allocations and order.status != "placed":
                return Result(order, None)  # still nothing for the backorder: record no new decision
            touched: list[Aggregate] = []
            for sku, by_wh in routing.allocations.items():
                for wh, qty in by_wh.items():
                    stock = stocks[(sku, wh)]
                    if not isinstance(stock, Stock):  # route() only allocates where stock exists
                        raise DomainError(f"routing chose {wh} for {sku} but it holds no stock")
                    stock.reserve(str(oid), qty, meta)
                    touched.append(stock)
            decision = {**routing.explain(), "needed": needed, "available": available, "preferred": preferred}
            order.allocate(routing.allocations, routing.backordered, decision, meta)
            return self._commit(order, *touched, primary=order)

        return self._retrying(attempt)

    def _stocks_reserved_for(self, order: Order, sku: str) -> list[Stock]:
        stocks = [self._maybe(stock_id(sku, wh)) for wh in order.allocations.get(sku, {})]
        return [s for s in stocks if isinstance(s, Stock) and s.reservations.get(str(order.id))]

    def ship_order(
        self,
        oid: UUID,
        warehouse: str,
        carrier: str,
        tracking_number: str,
        lines: dict[str, int] | None,
        meta: Meta,
        if_match: int | None = None,
    ) -> Result:
        """Ship from one warehouse: the order's reservation there is consumed first, then free stock."""
        self._require_known((), (warehouse,))

        def change(order: Order) -> list[Aggregate]:
            held = {sku: self._reserved_at(order, sku, warehouse) for sku in order.unshipped()}
            default = {sku: qty for sku, qty in held.items() if qty} if order.allocations else None
            shipping = order.ship(warehouse, carrier, tracking_number, lines or default, meta)
            stocks: list[Aggregate] = []
            for sku, qty in shipping.items():
                stock = self._maybe(stock_id(sku, warehouse))
                if stock is None:
                    raise DomainError(f"no stock of {sku} in {warehouse}")
                stock.ship(str(order.id), qty, meta)
                stocks.append(stock)
            return stocks

        return self._order_command(oid, if_match, change)

    def _reserved_at(self, order: Order, sku: str, warehouse: str) -> int:
        stock = self._maybe(stock_id(sku, warehouse)) if warehouse in order.allocations.get(sku, {}) else None
        return stock.reservations.get(str(order.id), 0) if isinstance(stock, Stock) else 0

    def deliver_order(self, oid: UUID, meta: Meta, if_match: int | None = None) -> Result:
        def change(order: Order) -> list[Aggregate]:
            order.deliver(meta)
            return []

        return self._order_command(oid, if_match, change)

    def return_order(
        self, oid: UUID, lines: dict[str, int], reason: str, meta: Meta, if_match: int | None = None
    ) -> Result:
        """Record returned goods and restock them in the warehouse they were shipped from."""

        def change(order: Order) -> list[Aggregate]:
            order.return_lines(lines, reason, meta)
            stocks: list[Aggregate] = []
            for sku, qty in lines.items():
                stock = self.stock(sku, order.shipped_from[sku])
                stock.restock(str(order.id), qty, meta)
                stocks.append(stock)
            return stocks

        return self._order_command(oid, if_match, change)

    # ---- tickets and agents ---------------------------------------------------------------------------

    def open_ticket(
        self, customer_id: str, order_ref: UUID | None, channel: str, subject: str, body: str, meta: Meta
    ) -> Result:
        if order_ref is not None:
            self.order(order_ref)
        ticket = Ticket.open(uuid4(), customer_id, str(order_ref) if order_ref else None, channel, subject, body, meta)
        return self._commit(ticket, primary=ticket, created=True)

    def _ticket_command(self, tid: UUID, if_match: int | None, change: Callable[[Ticket], None]) -> Result:
        def attempt() -> Result:
            ticket = self.ticket(tid)
            self._check_version(ticket, if_match)
            change(ticket)
            return self._commit(ticket, primary=ticket)

        result = self._retrying(attempt)
        return Result(result.aggregate, result.position or self.position())

    def reply_ticket(self, tid: UUID, author: str, body: str, meta: Meta, if_match: int | None = None) -> Result:
        return self._ticket_command(tid, if_match, lambda t: t.reply(author, body, meta))

    def assign_ticket(self, tid: UUID, agent: str, meta: Meta, if_match: int | None = None) -> Result:
        """Manual assignment (an operator's override of the automatic one)."""
        if self._maybe(agent_id(agent)) is None:
            raise UnknownReferenceError(f"unknown agent {agent}")
        return self._ticket_command(tid, if_match, lambda t: t.assign(agent, meta, manual=True))

    def resolve_ticket(self, tid: UUID, note: str | None, meta: Meta, if_match: int | None = None) -> Result:
        return self._ticket_command(tid, if_match, lambda t: t.resolve(note, meta))

    def reopen_ticket(self, tid: UUID, note: str | None, meta: Meta, if_match: int | None = None) -> Result:
        return self._ticket_command(tid, if_match, lambda t: t.reopen(note, meta))

    def put_agent(self, code: str, name: str, skills: list[str], capacity: int, online: bool, meta: Meta) -> Result:
        def attempt() -> Result:
            existing = self._maybe(agent_id(code))
            if existing is None:
                agent = Agent.register(code, name, skills, capacity, online, meta)
                return self._commit(agent, primary=agent, created=True)
            existing.update(name, skills, capacity, online, meta)
            return self._commit(existing, primary=existing)

        result = self._retrying(attempt)
        return Result(result.aggregate, result.position or self.position(), result.created)
