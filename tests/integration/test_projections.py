"""Read models against real PostgreSQL: each follows the commands and answers in the contract's shapes,
lists page stably, tracking covers every event and `wait_for_position` waits for all of them."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import psycopg
import pytest
from psycopg import Connection
from psycopg_pool import ConnectionPool

from domain.alerts import Finding
from domain.base import Actor, Meta
from domain.ticket import sla_deadlines
from infrastructure.bootstrap import Container
from infrastructure.readmodels import (
    customer_profile,
    order_summary,
    product_catalog,
    stock_levels,
    ticket_queue,
    tracking,
    warehouse_list,
)
from infrastructure.readmodels.base import APP
from infrastructure.readmodels.group import Projector
from infrastructure.readmodels.registry import PROJECTIONS
from tests.waiting import wait_until

META = Meta(actor=Actor("tester", "admin"), correlation_id="test")
TABLES = sorted({t for p in PROJECTIONS.values() for t in p.tables})
EUR = "EUR"
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


@pytest.fixture
def pool(clean_db: str) -> Iterator[ConnectionPool[Connection[Any]]]:
    with ConnectionPool(clean_db, min_size=1, max_size=4) as p:
        yield p


@pytest.fixture
async def db(clean_db: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(clean_db, min_size=1, max_size=2) as p:
        yield p


def catch_up(container: Container, pool: ConnectionPool[Connection[Any]]) -> None:
    for projection in PROJECTIONS.values():
        Projector(container.app, pool, projection, batch_size=37).catch_up()


def dump(url: str) -> dict[str, list[str]]:
    with psycopg.connect(url) as conn:
        return {t: sorted(map(repr, conn.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}  # noqa: S608


def positions(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {r["name"]: int(r["position"]) for r in tracking.POSITIONS.rows(conn, APP)}


def wait_until_caught_up(url: str, target: int, seconds: float) -> None:
    wait_until(
        lambda: min(positions(url).values()) >= target,
        seconds,
        f"every read model at position {target}",
        lambda: f"projections at {positions(url)}",
    )


def line(sku: str, quantity: int, price: str) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, "unit_price": Decimal(price), "currency": EUR}


def catalog(container: Container) -> None:
    app = container.app
    app.put_warehouse("W1", "Main", "eu", META)
    app.put_warehouse("W2", "North", "eu", META)
    app.put_product("A", "Widget", "tools", Decimal("2.50"), EUR, 3, META)
    app.put_product("B", "Gadget", "toys", Decimal("4.00"), EUR, 5, META)


def history(container: Container, orders: int = 30) -> None:
    """A bit of everything: catalog, stock, orders through their life, tickets, agents, transfers."""
    app = container.app
    catalog(container)
    app.receive_stock("A", "W1", 10 + orders, "po", META)
    app.receive_stock("B", "W2", 5 + orders, "po", META)
    app.put_agent("ann", "Ann", ["shipping", "other"], 3, True, META)
    for i in range(orders):
        customer = {"id": f"c{i % 4}", "name": f"Customer {i % 4}", "email": f"c{i % 4}@example.com"}
        oid = app.place_order("web", f"o{i}", customer, [line("A", 1, "2.50"), line("B", 1, "4.00")], META)
        app.allocate_order(oid.aggregate.id, ["W1", "W2"], [], META)
        if i % 5 == 0:
            app.cancel_order(oid.aggregate.id, "changed mind", META)
    transfer = app.start_transfer("A", "W1", "W2", 2, META).aggregate
    app.receive_transfer(transfer.id, META)
    ticket = app.open_ticket("c1", None, "email", "Where is it", "tracking?", META).aggregate
    app.assign_ticket(ticket.id, "ann", META)
    app.reply_ticket(ticket.id, "agent", "On its way", META)
    app.raise_alert(Finding("stockout", "B/W1", "critical", {"available": 0}), ["ops"], META)  # insight
    channel = {"name": "Market", "warehouses": ["W1", "W2"], "share": "0.5", "buffer": 1}
    app.put_channel("mkt", {**channel, "stock_url": None, "fulfilment_url": None}, META)
    app.release_hold(app.place_hold("A", 2, "cart-1", META, warehouse="W1").aggregate.id, META)


def timeless(item: dict[str, Any]) -> dict[str, Any]:
    """The item without its SLA, whose paused resolution clock moves with the time of the query."""
    return {k: v for k, v in item.items() if k != "sla"}


def assert_money(value: dict[str, str], amount: str) -> None:
    assert value == {"amount": amount, "currency": EUR}


def assert_time(value: str) -> datetime:
    assert RFC3339_UTC.match(value), value
    return datetime.fromisoformat(value)


async def test_an_order_shows_its_lines_allocation_payment_shipment_and_return(
    container: Container, pool: Any, db: asyncpg.Pool
) -> None:
    app = container.app
    catalog(container)
    app.receive_stock("A", "W1", 5, "po", META)
    app.receive_stock("B", "W1", 1, "po", META)
    customer = {"id": "c7", "name": "Ana", "email": "ana@example.com", "phone": "+351", "address": {"city": "Porto"}}
    oid = app.place_order("web", "x1", customer, [line("A", 2, "2.50"), line("B", 3, "4.00")], META).aggregate.id
    app.allocate_order(oid, ["W1"], [], META)
    app.record_payment(oid, Decimal("7.25"), EUR, "pay-1", META)
    app.ship_order(oid, "W1", "dhl", "T1", None, META)
    app.return_order(oid, {"A": 1}, "broken", META)
    catch_up(container, pool)

    order = await order_summary.get_order(db, oid)
    assert order is not None
    assert {"id", "channel", "external_id", "status", "customer", "lines", "total", "paid", "version", "position"} | {
        "placed_at",
        "updated_at",
    } <= order.keys()
    assert (order["id"], order["channel"], order["external_id"]) == (str(oid), "web", "x1")
    assert order["status"] == "partially_shipped"  # B: 1 of 3 allocated and shipped
    assert order["customer"]["id"] == "c7"
    assert "ana@example.com" not in repr(order["customer"])  # contact data stays sealed in the read model
    a, b = order["lines"]
    assert (a["sku"], a["quantity"], a["allocated"], a["backordered"], a["shipped"], a["returned"]) == (
        "A",
        2,
        [{"warehouse": "W1", "quantity": 2}],
        0,
        2,
        1,
    )
    assert (b["sku"], b["allocated"], b["backordered"], b["shipped"]) == (
        "B",
        [{"warehouse": "W1", "quantity": 1}],
        2,
        1,
    )
    assert_money(a["unit_price"], "2.50")
    assert_money(order["total"], "17.00")
    assert_money(order["paid"], "7.25")
    aggregate = app.order(oid)
    assert (order["version"], order["position"]) == (aggregate.version, app.position() - 1)  # + B's restock
    assert assert_time(order["placed_at"]) < assert_time(order["updated_at"])
    assert await order_summary.get_order(db, UUID(int=0)) is None


async def test_stock_levels_and_transfers_follow_receipts_reservations_transfers_and_policy(
    container: Container, pool: Any, db: asyncpg.Pool
) -> None:
    app = container.app
    catalog(container)
    app.receive_stock("A", "W1", 10, "po", META)
    app.adjust_stock("A", "W1", -1, "damaged", META)
    app.set_stock_policy(
        "A", "W1", {"safety_factor": "0.5", "lead_time_days": 3, "review_days": 7, "min_order_qty": 10}, META
    )
    oid = app.place_order("web", "s1", {"id": "c1"}, [line("A", 4, "2.50")], META).aggregate.id
    app.allocate_order(oid, ["W1"], [], META)
    transfer = app.start_transfer("A", "W1", "W2", 3, META).aggregate
    catch_up(container, pool)

    w1 = await stock_levels.get_stock(db, "A", "W1")
    w2 = await stock_levels.get_stock(db, "A", "W2")
    assert w1 is not None
    assert w2 is not None
    assert {k: w1[k] for k in ("sku", "warehouse", "on_hand", "reserved", "available", "inbound")} == {
        "sku": "A",
        "warehouse": "W1",
        "on_hand": 6,
        "reserved": 4,
        "available": 2,
        "inbound": 0,
    }
    assert w1["policy"] == {
        "safety_factor": "0.5",
        "lead_time_days": 3,
        "review_days": 7,
        "min_order_qty": 10,
        "safety_method": "alpha",
        "service_level": "0.95",
    }
    assert (w1["version"], w2["version"]) == (app.stock("A", "W1").version, app.stock("A", "W2").version)
    assert (w2["on_hand"], w2["inbound"], w2["policy"]) == (0, 3, None)
    dispatched = await stock_levels.get_transfer(db, transfer.id)
    assert dispatched is not None
    assert 0 < dispatched.pop("position") < w2["position"]  # saved with the two stock records, first
    assert dispatched == {
        "id": str(transfer.id),
        "sku": "A",
        "from_warehouse": "W1",
        "to_warehouse": "W2",
        "quantity": 3,
        "status": "in_transit",
        "version": 1,
    }
    app.receive_transfer(transfer.id, META)
    catch_up(container, pool)
    w2 = await stock_levels.get_stock(db, "A", "W2")
    assert w2 is not None
    assert (w2["on_hand"], w2["inbound"], w2["available"]) == (3, 0, 3)
    received = await stock_levels.get_transfer(db, transfer.id)
    assert received is not None
    assert received["status"] == "received"
    scoped, _ = await stock_levels.list_stock(db, warehouses=["W2"], limit=10)
    assert [(s["sku"], s["warehouse"]) for s in scoped] == [("A", "W2")]


async def test_tickets_carry_sla_deadlines_and_agents_their_profile(
    container: Container, pool: Any, db: asyncpg.Pool
) -> None:
    app = container.app
    app.put_agent("ann", "Ann", ["shipping"], 3, True, META)
    app.put_agent("bob", "Bob", ["refund"], 2, False, META)
    tid = app.open_ticket("c1", None, "email", "Where is it", "tracking?", META).aggregate.id
    catch_up(container, pool)
    ticket = await ticket_queue.get_ticket(db, tid)
    assert ticket is not None
    opened = META.business_time  # the ticket queue dates tickets by business time (insight)
    first_due, resolution_due = sla_deadlines(opened, "normal")
    assert {k: ticket[k] for k in ("id", "status", "category", "priority", "assignee", "order_id")} == {
        "id": str(tid),
        "status": "open",
        "category": "other",
        "priority": "normal",
        "assignee": None,
        "order_id": None,
    }
    assert ticket["sla"] == {
        "first_response_due": first_due.isoformat(),
        "resolution_due": resolution_due.isoformat(),
        "breached": False,
    }
    assert assert_time(ticket["opened_at"]) == opened
    assert (ticket["customer_id"], ticket["channel"], ticket["subject"]) == ("c1", "email", "Where is it")

    app.assign_ticket(tid, "ann", META)
    app.reply_ticket(tid, "agent", "On its way", META)
    app.resolve_ticket(tid, None, META)
    app.reopen_ticket(tid, "still missing", META)
    catch_up(container, pool)
    ticket = await ticket_queue.get_ticket(db, tid)
    assert ticket is not None
    assert (ticket["status"], ticket["assignee"], ticket["version"]) == ("assigned", "ann", app.ticket(tid).version)
    assert await ticket_queue.get_agent(db, "bob") == {
        "id": "bob",
        "name": "Bob",
        "skills": ["refund"],
        "capacity": 2,
        "online": False,
        "load": 0,
        "version": 1,
        "position": 2,
    }
    mine, _ = await ticket_queue.list_tickets(db, assignee="ann", status="assigned", limit=5)
    assert [t["id"] for t in mine] == [str(tid)]


async def test_a_ticket_past_its_first_response_deadline_is_breached(
    container: Container, pool: Any, db: asyncpg.Pool
) -> None:
    tid = container.app.open_ticket("c1", None, "chat", "Late", "hello?", META).aggregate.id
    catch_up(container, pool)
    await db.execute("UPDATE ticket_queue SET first_response_due = now() - interval '1 minute' WHERE id = $1", tid)
    ticket = await ticket_queue.get_ticket(db, tid)
    assert ticket is not None
    assert ticket["sla"]["breached"] is True


async def test_catalog_warehouses_and_customer_profiles_read_back_in_contract_shapes(
    container: Container, pool: Any, db: asyncpg.Pool
) -> None:
    history(container, orders=5)
    container.app.put_product("A", "Widget 2", "tools", Decimal("3.10"), EUR, 4, META)
    catch_up(container, pool)
    product = await product_catalog.get_product(db, "A")
    assert product is not None
    assert {k: product[k] for k in ("sku", "name", "category", "unit_price", "lead_time_days", "version")} == {
        "sku": "A",
        "name": "Widget 2",
        "category": "tools",
        "unit_price": {"amount": "3.10", "currency": EUR},
        "lead_time_days": 4,
        "version": 2,
    }
    warehouse = await warehouse_list.get_warehouse(db, "W2")
    assert warehouse is not None
    assert {k: warehouse[k] for k in ("code", "name", "region", "version")} == {
        "code": "W2",
        "name": "North",
        "region": "eu",
        "version": 1,
    }
    customer = await customer_profile.get_customer(db, "c1")
    assert customer is not None
    assert (customer["id"], customer["order_count"], customer["ticket_count"]) == ("c1", 1, 1)
    assert assert_time(customer["first_seen"]) < assert_time(customer["last_seen"])
    assert {"name", "email", "phone", "address"} <= customer.keys()
    assert await customer_profile.get_customer(db, "nobody") is None
    assert await product_catalog.get_product(db, "Z") is None


async def test_every_list_query_pages_through_all_rows_once_in_a_stable_order(
    container: Container, pool: Any, db: asyncpg.Pool
) -> None:
    history(container, orders=7)
    for code in ("carl", "dora", "eve"):
        container.app.put_agent(code, code.title(), ["other"], 1, True, META)
    for n in range(3):
        container.app.open_ticket(f"c{n}", None, "email", f"t{n}", "body", META)
    catch_up(container, pool)
    queries = {
        "orders": order_summary.list_orders,
        "stock": stock_levels.list_stock,
        "tickets": ticket_queue.list_tickets,
        "agents": ticket_queue.list_agents,
        "products": product_catalog.list_products,
        "warehouses": warehouse_list.list_warehouses,
    }
    for name, query in queries.items():
        everything, end = await query(db, limit=500)
        assert end is None
        assert len(everything) >= 2, name
        paged, cursor = [], None
        while True:
            page, cursor = await query(db, limit=2, cursor=cursor)
            paged += page
            if cursor is None:
                break
        assert list(map(timeless, paged)) == list(map(timeless, everything)), name


async def test_order_lists_filter_by_status_channel_customer_and_warehouse_scope(
    container: Container, pool: Any, db: asyncpg.Pool
) -> None:
    history(container, orders=10)
    catch_up(container, pool)
    cancelled, _ = await order_summary.list_orders(db, status="cancelled", limit=50)
    assert len(cancelled) == 2
    allocated, _ = await order_summary.list_orders(db, status="allocated", channel="web", limit=50)
    assert len(allocated) == 8
    placed = [assert_time(o["placed_at"]) for o in allocated]
    assert placed == sorted(placed, reverse=True)  # newest first
    of_c1, _ = await order_summary.list_orders(db, customer_id="c1", limit=50)
    assert {o["customer"]["id"] for o in of_c1} == {"c1"}
    assert len(of_c1) == 3
    elsewhere, _ = await order_summary.list_orders(db, warehouses=["W9"], limit=50)
    assert elsewhere == []


async def test_waiting_for_a_position_returns_once_every_read_model_has_reached_it(
    container: Container, pool: Any, db: asyncpg.Pool
) -> None:
    history(container, orders=2)
    head = container.app.position()
    assert not await tracking.wait_for_position(db, head, 0.05)
    threading.Timer(0.2, catch_up, (container, pool)).start()
    started = time.monotonic()
    assert await tracking.wait_for_position(db, head, 5.0)
    assert 0.15 < time.monotonic() - started < 3.0
    assert set(await tracking.projection_positions(db)) == set(PROJECTIONS)
    assert not await tracking.wait_for_position(db, head + 1, 0.1)


def test_every_projection_tracks_every_event_even_those_it_ignores(
    container: Container, pool: Any, clean_db: str
) -> None:
    container.app.put_agent("ann", "Ann", ["other"], 1, True, META)
    container.app.open_ticket("c1", None, "email", "hi", "body", META)
    catch_up(container, pool)
    assert positions(clean_db) == dict.fromkeys(PROJECTIONS, container.app.position())
