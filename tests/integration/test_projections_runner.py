"""Projection runners against real PostgreSQL: a rebuild gives identical contents (A1), a runner killed
mid-stream or cut off from the database resumes to exactly what a rebuild gives, and a reader tailing the log
during concurrent writes sees every event once, in order (C4, bounded; longer variants are `slow`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from domain.order import order_id
from domain.stock import Stock
from infrastructure.bootstrap import Container
from infrastructure.readmodels.registry import PROJECTIONS
from infrastructure.readmodels.runner import rebuild, run_projections
from infrastructure.settings import Settings
from tests.integration.test_projections import (
    META,
    catalog,
    catch_up,
    dump,
    history,
    line,
    pool,
    positions,
    wait_until_caught_up,
)
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
__all__ = ["pool"]  # the fixture, shared


def test_rebuilding_every_read_model_twice_gives_identical_contents(
    container: Container, pool: Any, clean_db: str, settings: Settings
) -> None:
    history(container)
    container.app.ship_order(order_id("web", "o1"), "W1", "DHL", "T-1", {"A": 1}, META)  # a shipment row too
    catch_up(container, pool)
    followed = dump(clean_db)
    reports: list[tuple[str, int, int]] = []
    rebuilt_once = rebuild(settings, progress=lambda *report: reports.append(report))
    first = dump(clean_db)
    rebuild(settings)
    assert dump(clean_db) == first == followed
    assert set(rebuilt_once) == set(PROJECTIONS)
    # every read model had events to rebuild from (money: refunds, reconciliation and after-sales have none here)
    assert min(v for name, v in rebuilt_once.items() if name not in {"refunds", "reconciliation", "after_sales"}) > 0
    assert rebuilt_once["audit_timeline"] == container.app.position()  # it indexes every event
    head = container.app.position()
    assert {(name, done, total) for name, done, total in reports if done == total} == {
        (n, head, head) for n in PROJECTIONS
    }
    assert positions(clean_db) == dict.fromkeys(PROJECTIONS, head)


def test_rebuilding_one_read_model_leaves_the_others_alone(
    container: Container, pool: Any, clean_db: str, settings: Settings
) -> None:
    history(container, orders=3)
    catch_up(container, pool)
    before = dump(clean_db)
    assert rebuild(settings, "stock_levels")["stock_levels"] > 0
    assert dump(clean_db) == before
    with pytest.raises(ValueError, match="unknown projection"):
        rebuild(settings, "no_such_model")


def write_burst(container: Container, tag: str, aggregates: int = 10) -> None:
    """11 events per aggregate in 10-aggregate saves, plus an order (fast: no long streams to reload)."""
    app = container.app
    batch: list[Stock] = []
    for i in range(aggregates):
        stock = Stock.open(f"K{tag}-{i}", "W1", META)
        for e in range(10):
            stock.receive(1, f"{e}", META)
        batch.append(stock)
        if len(batch) == 10:
            app.save(*batch)
            batch = []
    app.place_order("web", f"k{tag}", {"id": f"c{tag}"}, [line("A", 1, "2.50")], META)


def keep_writing(container: Container, tag: str, stop: threading.Event, at_least: int) -> None:
    rounds = 0
    while rounds < at_least or not stop.is_set():
        write_burst(container, f"{tag}-{rounds}")
        rounds += 1


def wait_for_log(path: Path, text: str, after: int, seconds: float) -> int:
    """Where `text` first appears in the file after offset `after` (the runner logs it once it is running)."""
    wait_until(lambda: path.read_text().find(text, after) >= 0, seconds, f"{text!r} in {path}", path.read_text)
    return path.read_text().find(text, after) + len(text)


@pytest.mark.parametrize("kills", [3, pytest.param(12, marks=pytest.mark.slow)])
def test_a_runner_killed_mid_stream_resumes_to_exactly_what_a_rebuild_gives(
    container: Container, clean_db: str, settings: Settings, tmp_path: Path, kills: int
) -> None:
    catalog(container)
    env = {**os.environ, "DATABASE_URL": clean_db}
    log_path = tmp_path / "runner.log"
    log = log_path.open("ab")

    def start() -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "cli", "projections"]
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=log)

    runner, seen = start(), 0
    behind_at_kill = []
    for round_no in range(kills):
        seen = wait_for_log(log_path, "running projections", seen, 30)
        stop = threading.Event()
        projected = min(positions(clean_db).values())
        writer = threading.Thread(target=keep_writing, args=(container, str(round_no), stop, 10))
        writer.start()
        # kill it while it works: once it has projected some of this round's writes, with more coming
        wait_until(lambda p=projected: min(positions(clean_db).values()) > p, 30, "the runner to project new writes")
        runner.send_signal(signal.SIGKILL)
        runner.wait(10)
        behind_at_kill.append(min(positions(clean_db).values()) < container.app.position())
        stop.set()
        writer.join()
        runner = start()
    target = container.app.position()
    assert target > 3000
    assert any(behind_at_kill)  # killed mid-stream: the restart had work left to do
    wait_until_caught_up(clean_db, target, 60)
    wait_for_log(log_path, "running projections", seen, 30)  # SIGTERM once it handles signals
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(15) == 0
    followed = dump(clean_db)
    rebuild(settings)
    assert dump(clean_db) == followed


def test_the_projections_process_holds_at_most_four_connections_whatever_the_number_of_read_models(
    container: Container, clean_db: str, tmp_path: Path
) -> None:
    catalog(container)
    env = {**os.environ, "DATABASE_URL": clean_db, "PGAPPNAME": "projections-under-test"}
    log_path = tmp_path / "runner.log"
    with log_path.open("ab") as log:
        runner = subprocess.Popen(
            [sys.executable, "-m", "cli", "projections"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    held: list[int] = []

    def connections() -> int:
        with psycopg.connect(clean_db, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'projections-under-test'"
            ).fetchone()
        held.append(int(row[0]) if row else 0)
        return held[-1]

    try:
        wait_for_log(log_path, "running projections", 0, 30)
        for round_no in range(5):  # while it works through bursts, and once idle
            write_burst(container, f"c{round_no}", aggregates=20)
            connections()
        wait_until_caught_up(clean_db, container.app.position(), 60)
        connections()
    finally:
        runner.send_signal(signal.SIGTERM)
        runner.wait(15)
    assert len(PROJECTIONS) > 4
    assert 3 <= max(held) <= 4, held  # LISTEN + reading the log + writing


def test_a_runner_whose_database_connections_are_dropped_reconnects_and_catches_up(
    container: Container, clean_db: str, settings: Settings
) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=run_projections, args=(settings,), kwargs={"stop": stop})
    thread.start()
    try:
        catalog(container)
        write_burst(container, "0", aggregates=20)
        wait_until_caught_up(clean_db, container.app.position(), 30)
        with psycopg.connect(clean_db, autocommit=True) as conn:
            dropped = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
        assert dropped is not None
        assert dropped[0] >= 3  # the runner's LISTEN, log-reading and writing connections went (and the test's)
        write_burst(container, "1", aggregates=20)
        wait_until_caught_up(clean_db, container.app.position(), 30)
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
    followed = dump(clean_db)
    rebuild(settings)
    assert dump(clean_db) == followed


@pytest.mark.parametrize(("writers", "saves"), [(8, 25), pytest.param(16, 250, marks=pytest.mark.slow)])
def test_a_reader_tailing_the_log_during_concurrent_writes_sees_every_event_once_in_order(
    container: Container, writers: int, saves: int
) -> None:
    app = container.app
    events_per_save = 10
    seen: list[int] = []
    done = threading.Event()

    def tail() -> None:
        position = 0
        while not (done.is_set() and position >= app.position()):
            batch = app.recorder.select_notifications(position, 200, inclusive_of_start=False)
            seen.extend(n.id for n in batch)
            position = batch[-1].id if batch else position
            if not batch:
                time.sleep(0.005)  # the reader's polling interval while the log is quiet, not a synchronisation

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
