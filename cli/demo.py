"""Demo data for `shopops up --demo`: a small, realistic catalogue, stock, order history and tickets,
loaded once through the application's own commands (so it is event-sourced like real data)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from application.errors import NotFoundError
from application.shopops import ShopOps
from cli.demo_history import SLOW_MOVER, raise_demo_alert, ticket_history
from domain.base import Actor, DomainError, Meta
from domain.costing import Cost
from domain.order import order_id

ACTOR = Actor(id="demo-loader", role="admin", kind="system")
WAREHOUSES = [("BER", "Berlin hub", "eu-central"), ("MAD", "Madrid", "eu-south"), ("WAW", "Warsaw", "eu-east")]
PRODUCTS = [
    ("TSHIRT-BLK-M", "T-shirt black M", "apparel", "19.90"),
    ("TSHIRT-WHT-L", "T-shirt white L", "apparel", "19.90"),
    ("HOODIE-GRY-M", "Hoodie grey M", "apparel", "49.00"),
    ("JEANS-32", "Jeans slim 32", "apparel", "69.00"),
    ("SNEAKER-42", "Running sneaker 42", "shoes", "89.00"),
    ("SNEAKER-44", "Running sneaker 44", "shoes", "89.00"),
    ("BOOT-41", "Leather boot 41", "shoes", "129.00"),
    ("MUG-CER", "Ceramic mug", "home", "12.50"),
    ("LAMP-DESK", "Desk lamp", "home", "39.90"),
    ("PILLOW-LIN", "Linen pillow", "home", "24.00"),
    ("KETTLE-1L", "Electric kettle 1 l", "kitchen", "34.90"),
    ("PAN-28", "Frying pan 28 cm", "kitchen", "44.00"),
    ("KNIFE-CHEF", "Chef's knife", "kitchen", "59.00"),
    ("BOTTLE-750", "Steel bottle 750 ml", "outdoor", "22.00"),
    ("TENT-2P", "Tent for two", "outdoor", "149.00"),
    ("HEADLAMP", "Headlamp", "outdoor", "29.90"),
    ("EARBUDS", "Wireless earbuds", "electronics", "79.00"),
    ("CHARGER-65W", "USB-C charger 65 W", "electronics", "39.00"),
    ("CABLE-2M", "USB-C cable 2 m", "electronics", "9.90"),
    ("POWERBANK", "Power bank 10 Ah", "electronics", "34.00"),
]
TICKETS = [
    ("Where is my parcel?", "I ordered a week ago and the tracking has not moved since Monday."),
    ("Refund for damaged lamp", "The desk lamp arrived broken. I want my money back, please."),
    ("包裹还没到", "我的快递已经十天了还没收到，请帮我查一下物流。"),
    ("申请退款", "耳机质量有问题，左边没有声音，我要退款。"),
    ("Wrong size", "The sneakers are too small, can I exchange them for size 44?"),
    ("Charged twice", "My card was charged twice for the same order. This is unacceptable!"),
]


def _meta(at: datetime) -> Meta:
    return Meta(actor=ACTOR, correlation_id="demo", business_time=at)


def already_loaded(app: ShopOps) -> bool:
    try:
        app.order(order_id("web", "DEMO-0001"))
    except NotFoundError:
        return False
    return True


def load_demo(app: ShopOps, orders: int = 180, seed: int = 7, days: int = 120) -> bool:
    """Load the demo once (a few months of history, with costs); returns False when it was already there."""
    if already_loaded(app):
        return False
    rng = random.Random(seed)
    now = datetime.now(UTC)
    start = now - timedelta(days=days)
    for code, name, region in WAREHOUSES:
        app.put_warehouse(code, name, region, _meta(start))
    for sku, name, category, price in [*PRODUCTS, SLOW_MOVER]:
        cost = Cost(Decimal(price) * Decimal("0.45"), "EUR")  # standard cost: what receipts enter the average at
        app.put_product(sku, name, category, Decimal(price), "EUR", rng.choice([3, 5, 7, 10]), _meta(start), cost)
        for code, _, _ in WAREHOUSES:
            app.receive_stock(sku, code, rng.randint(20, 90), f"PO-{sku}-{code}", _meta(start))
        app.set_stock_policy(
            sku,
            "BER",
            {"safety_factor": "0.5", "lead_time_days": 5, "review_days": 7, "min_order_qty": 20},
            _meta(start),
        )
    step = timedelta(days=days) / (orders + 1)
    placed = [
        _place(app, rng, i, start + step * i + timedelta(minutes=rng.randint(0, 600))) for i in range(1, orders + 1)
    ]
    _fulfil(app, rng, placed, now)
    for code, name, skills in (
        ("li.wei", "Li Wei", ["shipping", "refund", "return"]),
        ("anna.k", "Anna Kowalska", ["product", "payment", "complaint", "other"]),
        ("marc.r", "Marc Roca", ["shipping", "payment", "refund"]),
    ):
        app.put_agent(code, name, skills, 8, True, _meta(now))
    for number, (subject, body) in enumerate(TICKETS, start=1):
        app.open_ticket(f"cust-{number:03d}", None, "email", subject, body, _meta(now - timedelta(hours=number)))
    ticket_history(app, rng, TICKETS, start, now, _meta)
    raise_demo_alert(app, _meta(now))
    return True


def _place(app: ShopOps, rng: random.Random, number: int, at: datetime) -> tuple[object, datetime]:
    channel = "web" if number == 1 else rng.choice(["web", "web", "amazon", "ebay"])
    external = f"DEMO-{number:04d}"
    lines = [
        {"sku": sku, "quantity": rng.randint(1, 3), "unit_price": Decimal(price), "currency": "EUR"}
        for sku, _, _, price in rng.sample(PRODUCTS, rng.randint(1, 3))
    ]
    customer = {
        "id": f"cust-{rng.randint(1, 15):03d}",
        "name": rng.choice(["Ana Ruiz", "Jonas Weber", "王芳", "Piotr Nowak", "Chloé Martin"]),
        "email": f"customer{number}@example.com",
        "phone": "+49 30 1234567",
        "address": {"line1": "Hauptstr. 1", "city": "Berlin", "country": "DE", "region": "eu-central"},
    }
    result = app.place_order(channel, external, customer, lines, _meta(at))
    return result.aggregate.id, at


def _fulfil(app: ShopOps, rng: random.Random, placed: list[tuple[object, datetime]], now: datetime) -> None:
    """Older orders move on: allocated within hours, paid, most shipped a day or two later and delivered,
    a few cancelled (each step at its own business time, so processing times vary)."""
    codes = [w[0] for w in WAREHOUSES]
    for oid, at in placed:
        allocated = min(now, at + timedelta(minutes=rng.randint(5, 1800)))
        shipped = allocated + timedelta(minutes=rng.randint(120, 4000))
        try:
            if rng.random() < 0.08:
                app.cancel_order(oid, "customer changed their mind", _meta(allocated))  # type: ignore[arg-type]
                continue
            order = app.allocate_order(oid, codes, ["BER"], _meta(allocated)).aggregate  # type: ignore[arg-type]
            app.record_payment(oid, Decimal(order.total), "EUR", f"PSP-{str(oid)[:8]}", _meta(allocated))  # type: ignore[arg-type]
            if shipped > now - timedelta(days=1) or order.status != "allocated":
                continue
            for warehouse in sorted({w for by in order.allocations.values() for w in by}):
                tracking = f"JD{rng.randint(10**9, 10**10)}"
                app.ship_order(oid, warehouse, "DHL", tracking, None, _meta(shipped))  # type: ignore[arg-type]
            app.deliver_order(oid, _meta(min(now, shipped + timedelta(days=rng.randint(1, 4)))))  # type: ignore[arg-type]
        except DomainError:
            continue
