"""Order commands: place once per channel order, allocate with its reservations in one save, pay, ship,
deliver, return, cancel."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from application.base import Result
from application.holds import HoldCommands
from domain.base import DomainError, Meta
from domain.costing import Cost
from domain.order import Order, order_id
from domain.routing import route
from domain.stock import Stock, stock_id


class OrderCommands(HoldCommands):  # allocation converts checkout holds (application/holds.py)
    """Order commands (see the module docstring)."""

    def place_order(
        self, channel: str, external_id: str, customer: dict[str, Any], lines: list[dict[str, Any]], meta: Meta
    ) -> Result:
        """Place an order once per (channel, external_id); placing it again returns the existing order.

        Lines are checked against the catalog. Routing and allocation are the dispatch worker's job,
        so the order stays `placed` here.
        """
        oid = order_id(channel, external_id)
        try:
            self._require_known([line["sku"] for line in lines])
            order = Order.place(channel, external_id, customer, lines, meta)  # validates before any key is made
        except DomainError:
            existing = self._maybe(oid)  # placed before: the existing order, whatever this body says
            if existing is None:
                raise
            return Result(existing, self.position(), created=False)
        if self.vault is not None:  # contact data enters the event sealed with the customer's own key
            order = Order.place(channel, external_id, self.vault.seal(customer), lines, meta)
        try:  # no read first: the event store's unique (id, version) answers "placed before?"
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
            held, holding = self._convert_holds(order, needed, stocks, meta)  # checkout holds first (holds.py)
            needed = {sku: q - sum(held.get(sku, {}).values()) for sku, q in needed.items()}
            available = {
                wh: {sku: s.available for (sku, w), s in stocks.items() if w == wh and isinstance(s, Stock)}
                for wh in warehouses
            }
            routing = route({s: q for s, q in needed.items() if q > 0}, available, preferred)
            if not routing.allocations and order.status != "placed":
                return Result(order, None)  # still nothing for the backorder: record no new decision
            touched: list[Aggregate] = list(holding)
            for sku, by_wh in held.items():
                for wh, qty in by_wh.items():
                    routing.allocations.setdefault(sku, {})[wh] = routing.allocations.get(sku, {}).get(wh, 0) + qty
            for sku, by_wh in routing.allocations.items():
                for wh, qty in by_wh.items():
                    stock = stocks[(sku, wh)]
                    if not isinstance(stock, Stock):  # route() only allocates where stock exists
                        raise DomainError(f"routing chose {wh} for {sku} but it holds no stock")
                    extra = qty - held.get(sku, {}).get(wh, 0)  # held units are already the order's
                    if extra > 0:
                        stock.reserve(str(oid), extra, meta)
                    touched.append(stock)
            decision = {**routing.explain(), "needed": needed, "available": available, "preferred": preferred}
            decision["held"] = held
            order.allocate(routing.allocations, routing.backordered, decision, meta)
            return self._commit(order, *{id(a): a for a in touched}.values(), primary=order)

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
            stocks = {sku: self._maybe(stock_id(sku, warehouse)) for sku in order.unshipped()}
            costs = {sku: c for sku, s in stocks.items() if s is not None and (c := self._unit_cost(s)) is not None}
            shipping = order.ship(warehouse, carrier, tracking_number, lines or default, meta, costs)
            touched: list[Aggregate] = []
            for sku, qty in shipping.items():
                stock = stocks.get(sku)
                if stock is None:
                    raise DomainError(f"no stock of {sku} in {warehouse}")
                stock.ship(str(order.id), qty, meta, costs.get(sku))
                touched.append(stock)
            return touched

        return self._order_command(oid, if_match, change)

    def _unit_cost(self, stock: Stock) -> Cost | None:
        """The cost a unit leaves at now: the stock's moving average, else the product's standard cost."""
        return stock.cost() or self._standard_cost(stock.sku)

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
                stock.restock(str(order.id), qty, meta, order.shipped_unit_cost(sku))
                stocks.append(stock)
            return stocks

        return self._order_command(oid, if_match, change)
