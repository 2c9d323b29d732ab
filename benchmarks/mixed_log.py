"""A realistic mixed event log written fast: catalog, stock receipts, orders through their life (placed,
allocated with reservations, paid, shipped, delivered, cancelled with releases), tickets with agents, and a
sales channel. Aggregates are built with the domain's own methods and saved many per `save()`, so a few
hundred thousand events take seconds instead of the minutes one command per request would.

Used by benchmarks/rebuild.py; `fill(app, events)` stops once the log holds at least `events` events."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate

from application.shopops import ShopOps
from domain.base import Actor, Meta
from domain.catalog import Product, Warehouse
from domain.order import Order
from domain.stock import Stock
from domain.ticket import Agent, Ticket

META = Meta(actor=Actor("bench", "admin"), correlation_id="bench")
WAREHOUSES = ["W1", "W2", "W3"]
SKUS = [f"SKU-{i:04d}" for i in range(200)]
AGENTS = [f"agent{i}" for i in range(10)]
SAVE_EVERY = 60  # aggregates per save(): one transaction (the events table's lock) for many events


class LogFiller:
    """Writes the history in batches; keeps the long-lived aggregates (stocks, agents) in memory."""

    def __init__(self, app: ShopOps, seed: int = 14) -> None:
        self.app = app
        self.random = random.Random(seed)
        self.pending: dict[int, Aggregate] = {}
        self.stocks: dict[tuple[str, str], Stock] = {}
        self.agents: list[Agent] = []
        self.orders = 0

    def _touch(self, *aggregates: Aggregate) -> None:
        for aggregate in aggregates:
            self.pending[id(aggregate)] = aggregate
        if len(self.pending) >= SAVE_EVERY:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.app.save(*self.pending.values())
            self.pending = {}

    def catalog(self) -> None:
        for code in WAREHOUSES:
            self._touch(Warehouse.register(code, f"Warehouse {code}", "eu", META))
        for sku in SKUS:
            price = Decimal(self.random.randint(100, 9900)) / 100
            self._touch(Product.register(sku, f"Product {sku}", f"cat{int(sku[-1]) % 4}", price, "EUR", 3, META))
            for wh in WAREHOUSES:
                stock = Stock.open(sku, wh, META)
                stock.receive(500, "initial", META)
                self.stocks[(sku, wh)] = stock
                self._touch(stock)
        for code in AGENTS:
            agent = Agent.register(code, code.title(), ["shipping", "other"], 50, True, META)
            self.agents.append(agent)
            self._touch(agent)
        self.flush()

    def order(self) -> None:
        """One order through a life drawn at random, with the stock events it causes."""
        self.orders += 1
        n = self.orders
        lines = [
            {"sku": sku, "quantity": self.random.randint(1, 3), "unit_price": Decimal("9.90"), "currency": "EUR"}
            for sku in self.random.sample(SKUS, self.random.choice((1, 1, 1, 2, 3)))
        ]
        customer = {"id": f"c{n % 997}", "name": f"Customer {n % 997}", "email": f"c{n % 997}@example.com"}
        order = Order.place("web" if n % 3 else "market", f"o{n}", customer, lines, META)
        touched: list[Aggregate] = [order]
        allocations: dict[str, dict[str, int]] = {}
        for line in lines:
            stock = self._stock_with(line["sku"], line["quantity"])
            stock.reserve(str(order.id), line["quantity"], META)
            allocations[line["sku"]] = {stock.warehouse: line["quantity"]}
            touched.append(stock)
        order.allocate(allocations, {}, {"rule": "bench"}, META)
        fate = self.random.random()
        if fate < 0.1:
            order.cancel("changed mind", META)
            for stock in touched[1:]:
                stock.release(str(order.id), META)  # type: ignore[attr-defined]
        else:
            order.record_payment(Decimal(order.total), "EUR", f"pay-{n}", META)
            if fate < 0.6:
                self._ship(order, touched[1:])
        self._touch(*touched)
        if n % 10 == 0:
            self.ticket(str(order.id), customer["id"])

    def _stock_with(self, sku: str, quantity: int) -> Stock:
        for wh in self.random.sample(WAREHOUSES, len(WAREHOUSES)):
            stock = self.stocks[(sku, wh)]
            if stock.available >= quantity:
                return stock
        stock = self.stocks[(sku, WAREHOUSES[0])]
        stock.receive(500, "po", META)  # a replenishment arrived
        return stock

    def _ship(self, order: Order, stocks: list[Any]) -> None:
        for stock in stocks:
            order.ship(
                stock.warehouse,
                "DHL",
                f"T{order.external_id}-{stock.sku}",
                {stock.sku: order.unshipped()[stock.sku]},
                META,
            )
            stock.ship(str(order.id), order.shipped[stock.sku], META)
        if self.random.random() < 0.5:
            order.deliver(META)

    def ticket(self, order_ref: str, customer_id: str) -> None:
        ticket = Ticket.open(uuid4(), customer_id, order_ref, "email", "Where is my order", "Any news?", META)
        agent = self.random.choice(self.agents)
        ticket.assign(agent.code, META, manual=False)
        agent.take(str(ticket.id), META)
        ticket.reply("agent", "It is on its way.", META)
        if self.random.random() < 0.5:
            ticket.resolve(None, META)
            agent.release(str(ticket.id), META)
        self._touch(ticket, agent)


def fill(app: ShopOps, events: int, seed: int = 14) -> int:
    """Write a mixed history of at least `events` events; returns the log's head."""
    filler = LogFiller(app, seed)
    filler.catalog()
    while app.position() < events:
        for _ in range(500):
            filler.order()
        filler.flush()
    return app.position()
