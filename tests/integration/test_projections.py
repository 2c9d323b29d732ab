"""Projections against real PostgreSQL: read models follow the commands, a rebuild gives identical contents
(A1), a runner killed mid-stream resumes to exactly what a rebuild gives (K3, bounded), and a reader
tailing the log during concurrent writes sees every event once, in order (C4, bounded)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import psycopg
import pytest
from psycopg import Connection
from psycopg_pool import ConnectionPool

from domain.base import Actor, Meta
from domain.stock import Stock
from infrastructure.bootstrap import Container
from infrastructure.projections import order_summary, stock_levels, tracking
from infrastructure.projections.base import Projector
from infrastructure.projections.registry import PROJECTIONS
from infrastructure.projections.runner import rebuild
from infrastructure.settings import Settings

META = Meta(actor=Actor("tester", "admin"), correlation_id="test")
ROOT = Path(__file__).resolve().parents[2]
TABLES = sorted({t for p in PROJECTIONS.values() for t in p.tables})


@pytest.fixture
def pool(clean_db: str) -> Iterator[ConnectionPool[Connection[Any]]]:
    with ConnectionPool(clean_db, min_size=1, max_size=4) as p:
        yield p


def catch_up(container: Container, pool: ConnectionPool[Connection[Any]]) -> None:
    for projection in PROJECTIONS.values():
        Projector(container.app, pool, projection, batch_size=37).catch_up()


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        return {t: sorted(map(repr, conn.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}  # noqa: S608


def history(container: Container, orders: int = 30) -> None:
    app = container.app
    app.put_warehouse("W1", "Main", "eu", META)
    app.put_warehouse("W2", "North", "eu", META)
    app.put_product("A", "Widget", "tools", Decimal("2.50"), "EUR", 3, META)
    app.put_product("B", "Gadget", "tools", Decimal("4.00"), "EUR", 3, META)
    app.receive_stock("A", "W1", 10, "po", META)
    app.receive_stock("B", "W2", 5, "po", META)
    app.put_agent("ann", "Ann", ["shipping", "other"], 3, True, META)
    for i in range(orders):
        lines = [
            {"sku": "A", "quantity": 1, "unit_price": Decimal("2.50"), "currency": "EUR"},
            {"sku": "B", "quantity": 1, "unit_price": Decimal("4.00"), "currency": "EUR"},
        ]
        oid = app.place_order("web", f"o{i}", {"id": f"c{i % 4}", "email": f"c{i % 4}@example.com"}, lines, META)
        app.allocate_order(oid.aggregate.id, ["W1", "W2"], [], META)
        if i % 5 == 0:
            app.cancel_order(oid.aggregate.id, "changed mind", META)
    ticket = app.open_ticket("c1", None, "email", "Where is it", "tracking?", META).aggregate
    app.assign_ticket(ticket.id, "ann", META)
    app.reply_ticket(ticket.id, "agent", "On its way", META)


async def test_read_models_show_what_the_commands_did(container: Container, pool: Any, clean_db: str) -> None:
    history(container, orders=6)
    catch_up(container, pool)
    db = await asyncpg.connect(clean_db)
    try:
        stock = await stock_levels.get_stock(db, "A", "W1")
        assert stock is not None
        assert (stock["on_hand"], stock["reserved"], stock["available"]) == (10, 4, 6)  # 2 of 6 cancelled
        orders, cursor = await order_summary.list_orders(db, status="allocated", limit=2)
        assert len(orders) == 2
        assert cursor is not None
        more, _ = await order_summary.list_orders(db, status="allocated", limit=50, cursor=cursor)
        assert {o["id"] for o in orders}.isdisjoint(o["id"] for o in more)
        assert len(orders) + len(more) == 4  # 6 orders, 2 of them cancelled
        assert orders[0]["lines"][0]["allocated"] == [{"warehouse": "W1", "quantity": 1}]
        assert await tracking.wait_for_position(db, container.app.position(), 1.0)
        assert not await tracking.wait_for_position(db, container.app.position() + 1, 0.1)
    finally:
        await db.close()


def test_rebuilding_every_read_model_twice_gives_identical_contents(
    container: Container, pool: Any, clean_db: str, settings: Settings
) -> None:
    history(container)
    catch_up(container, pool)
    followed = dump(clean_db)
    rebuilt_once = rebuild(settings)
    first = dump(clean_db)
    rebuild(settings)
    assert dump(clean_db) == first == followed
    assert min(rebuilt_once.values()) > 0
    assert sum(rebuilt_once.values()) >= container.app.position()  # every event went to at least one model
    with psycopg.connect(clean_db) as conn:
        assert {row[1] for row in conn.execute(tracking.POSITIONS_SQL)} == {container.app.position()}


def test_a_runner_killed_mid_stream_resumes_to_exactly_what_a_rebuild_gives(
    container: Container, clean_db: str, settings: Settings, tmp_path: Path
) -> None:
    env = {**os.environ, "DATABASE_URL": clean_db}
    log = (tmp_path / "runner.log").open("ab")

    def start() -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "infrastructure.projections.runner"]
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=log)

    runner = start()
    for round_no in range(3):
        history_round(container, round_no)
        time.sleep(0.3 + 0.2 * round_no)
        runner.send_signal(signal.SIGKILL)
        runner.wait(10)
        runner = start()
    target = container.app.position()
    deadline = time.monotonic() + 60
    with psycopg.connect(clean_db) as conn:
        while time.monotonic() < deadline:
            rows = conn.execute(tracking.POSITIONS_SQL).fetchall()
            if min(r[1] for r in rows) >= target:
                break
            time.sleep(0.2)
    runner.send_signal(signal.SIGTERM)
    runner.wait(10)
    followed = dump(clean_db)
    rebuild(settings)
    assert dump(clean_db) == followed


def history_round(container: Container, round_no: int) -> None:
    app = container.app
    if round_no == 0:
        app.put_warehouse("W1", "Main", "eu", META)
        app.put_product("A", "Widget", "tools", Decimal("1.00"), "EUR", 3, META)
    for i in range(300):
        app.receive_stock("A", "W1", 1, f"r{round_no}-{i}", META)
        if i % 3 == 0:
            line = [{"sku": "A", "quantity": 1, "unit_price": Decimal(1), "currency": "EUR"}]
            app.place_order("web", f"{round_no}-{i}", {"id": "c"}, line, META)


def test_a_reader_tailing_the_log_during_concurrent_writes_sees_every_event_once_in_order(
    container: Container,
) -> None:
    app = container.app
    writers, saves, events_per_save = 8, 25, 10
    seen: list[int] = []
    done = threading.Event()

    def tail() -> None:
        position = 0
        while not (done.is_set() and position >= app.position()):
            batch = app.recorder.select_notifications(position, 200, inclusive_of_start=False)
            seen.extend(n.id for n in batch)
            position = batch[-1].id if batch else position
            if not batch:
                time.sleep(0.005)

    def write(w: int) -> None:
        for s in range(saves):
            stock = Stock.open(f"S{w}-{s}", "W", META)
            for e in range(events_per_save - 1):
                stock.receive(1, f"{e}", META)
            app.save(stock)

    tailer = threading.Thread(target=tail)
    tailer.start()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    tailer.join(30)
    assert len(seen) == writers * saves * events_per_save
    assert seen == sorted(set(seen))
