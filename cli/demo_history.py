"""Demo history for insight: a slow mover, weeks of answered and resolved tickets, and an alert that holds
(a sold-out SKU × warehouse with a reorder policy), so the dashboard has something to show on first start."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from application.shopops import ShopOps
from domain.alerts import DEFAULT_ROUTES, Finding
from domain.base import DomainError, Meta

# Stocked in every warehouse and never ordered: the slow-mover list is never empty.
SLOW_MOVER = ("UMBRELLA-XL", "Golf umbrella XL", "outdoor", "32.00")
SOLD_OUT = ("HEADLAMP", "BER")


def ticket_history(
    app: ShopOps,
    rng: random.Random,
    texts: list[tuple[str, str]],
    start: datetime,
    now: datetime,
    meta: Callable[[datetime], Meta],
    count: int = 40,
) -> None:
    """Tickets over the whole period: answered after minutes to a day, most resolved within two days."""
    span = (now - start) - timedelta(days=2)
    for number in range(count):
        opened = start + span * (number / count) + timedelta(minutes=rng.randint(0, 600))
        subject, body = rng.choice(texts)
        ticket = app.open_ticket(f"cust-{rng.randint(1, 15):03d}", None, "email", subject, body, meta(opened))
        answered = opened + timedelta(minutes=rng.choice([10, 45, 120, 300, 600, 1500]))
        app.reply_ticket(ticket.aggregate.id, "agent", "Thanks, we are looking into it.", meta(answered))
        if rng.random() < 0.85:
            resolved = answered + timedelta(minutes=rng.randint(30, 3000))
            app.resolve_ticket(ticket.aggregate.id, "solved", meta(resolved))


def raise_demo_alert(app: ShopOps, at: Meta) -> None:
    """Sell out one SKU × warehouse (a stock count finds nothing left) and raise its stockout alert, as the
    scheduled evaluation would."""
    sku, warehouse = SOLD_OUT
    stock = app.stock(sku, warehouse)
    try:
        if stock.available > 0:
            app.adjust_stock(sku, warehouse, -stock.available, "count", at)
    except DomainError:
        return
    inputs = {"sku": sku, "warehouse": warehouse, "available": 0, "on_hand": app.stock(sku, warehouse).on_hand}
    finding = Finding("stockout", f"{sku}/{warehouse}", "critical", inputs)
    app.raise_alert(finding, list(DEFAULT_ROUTES["stockout"]), at)
