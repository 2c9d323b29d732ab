"""The sales history read model (order events) and the ERP import, against real PostgreSQL; the history
frame the forecasting engine receives; the clearance rule."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection
from psycopg_pool import ConnectionPool

from domain.base import Actor, DomainError, Meta
from domain.clearance import ClearancePolicy, clearance_suggestion
from infrastructure.bootstrap import Container
from infrastructure.forecasting import frames as forecast_frames
from infrastructure.forecasting import store
from infrastructure.readmodels.group import Projector
from infrastructure.readmodels.sales_history import projection

META = Meta(actor=Actor("tester", "admin"), correlation_id="t")
DAY1 = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
DAY2 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
Pool = ConnectionPool[Connection[Any]]


@pytest.fixture
def pool(clean_db: str) -> Iterator[Pool]:
    with ConnectionPool(clean_db, min_size=1, max_size=3) as p:
        yield p


def at(moment: datetime) -> Meta:
    return Meta(actor=META.actor, correlation_id="t", business_time=moment)


def line(sku: str, quantity: int, price: str = "10.00", promo: bool = False) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, "unit_price": Decimal(price), "currency": "EUR", "promo": promo}


def rows(pool: Pool) -> dict[tuple[str, str, str, date], tuple[int, Decimal, int]]:
    with pool.connection() as conn:
        found = conn.execute(
            "SELECT sku, warehouse, channel, day, units, revenue, promo_units FROM sales_daily WHERE units <> 0"
        ).fetchall()
    return {(r[0], r[1], r[2], r[3]): (r[4], r[5], r[6]) for r in found}


def test_orders_become_daily_sales_per_warehouse_and_channel(container: Container, pool: Pool) -> None:
    app = container.app
    app.put_warehouse("W1", "One", "eu", META)
    app.put_warehouse("W2", "Two", "eu", META)
    for sku in ("A", "B"):
        app.put_product(sku, sku, "tools", Decimal("10.00"), "EUR", 3, META)
    app.receive_stock("A", "W1", 3, "po", META)
    app.receive_stock("A", "W2", 10, "po", META)
    app.receive_stock("B", "W1", 10, "po", META)
    first = app.place_order("web", "1", {"id": "c1"}, [line("A", 5), line("B", 2, "4.00", promo=True)], at(DAY1))
    second = app.place_order("shop", "2", {"id": "c2"}, [line("A", 1)], at(DAY2)).aggregate.id
    third = app.place_order("web", "3", {"id": "c3"}, [line("B", 1)], at(DAY2)).aggregate.id
    Projector(app, pool, projection).catch_up()
    day1, day2 = DAY1.date(), DAY2.date()
    assert rows(pool) == {
        ("A", "", "web", day1): (5, Decimal("50.0000"), 0),
        ("B", "", "web", day1): (2, Decimal("8.0000"), 2),
        ("A", "", "shop", day2): (1, Decimal("10.0000"), 0),
        ("B", "", "web", day2): (1, Decimal("10.0000"), 0),
    }
    app.allocate_order(first.aggregate.id, ["W1", "W2"], ["W1"], META)  # A: 3 from W1 + 2 from W2
    app.allocate_order(second, ["W1", "W2"], [], META)
    app.cancel_order(third, "customer changed their mind", META)
    Projector(app, pool, projection).catch_up()
    sales = rows(pool)
    order = app.order(first.aggregate.id)
    for warehouse, quantity in order.allocations["A"].items():
        assert sales[("A", warehouse, "web", day1)][0] == quantity
    assert sum(u for (sku, wh, ch, d), (u, _, _) in sales.items() if (sku, ch, d) == ("A", "web", day1)) == 5
    assert ("A", "", "web", day1) not in sales  # every unit moved to the warehouse that allocated it
    assert ("B", "", "web", day2) not in sales
    assert ("B", "W1", "web", day2) not in sales
    [(b_key, b_row)] = [(k, v) for k, v in sales.items() if k[0] == "B"]
    assert b_key[1:] == ("W1", "web", day1)
    assert b_row == (2, Decimal("8.0000"), 2)

    app.cancel_order(second, "fraud", META)  # allocated, then cancelled: leaves its warehouse too
    Projector(app, pool, projection).catch_up()
    assert not [k for k in rows(pool) if k[2] == "shop"]

    history, aliases = forecast_frames.load_history(pool, ["A", "B"], day2 + timedelta(days=1), 30)
    assert set(order.allocations["A"]) == {"W1", "W2"}  # 3 from the preferred W1, the rest from W2
    # B sold from W1 only (its cancelled order left nothing elsewhere): its total is that series, forecast once
    assert aliases == {"B|": "B|W1"}
    assert set(history["series_id"]) == {"A|", "A|W1", "A|W2", "B|W1"}
    total_a = history[history["series_id"] == "A|"].set_index("date")
    assert {str(k.date()): v for k, v in total_a["y"].items()} == {
        "2026-03-02": 5.0,
        "2026-03-03": 0.0,  # the cancelled order's day: its units were taken back out
        "2026-03-04": 0.0,  # padded to `until`: days since the last sale are zero demand
    }
    b = history[history["series_id"] == "B|W1"].iloc[0]
    assert (b["promo"], b["price"]) == (1.0, 4.0)


def test_erp_history_is_imported_once_per_day_and_bad_files_change_nothing(pool: Pool) -> None:
    good = (
        "date,sku,warehouse,units,revenue,promo\n2026-01-01,A,W1,3,30,1\n2026-01-01,A,W1,2,20,0\n2026-01-02,A,,4,40,\n"
    )
    result = store.import_sales(pool, good, "erp.csv", "tester")
    assert (result.rows, result.skus, result.first_day, result.last_day) == (2, 1, date(2026, 1, 1), date(2026, 1, 2))
    store.import_sales(pool, good, "erp.csv", "tester")  # the same file again replaces, never doubles
    with pool.connection() as conn:
        imported = conn.execute(
            "SELECT warehouse, channel, day, units, revenue, promo FROM sales_history ORDER BY day"
        ).fetchall()
        assert conn.execute("SELECT count(*), min(imported_by) FROM sales_imports").fetchone() == (2, "tester")
    assert imported == [
        ("W1", "erp", date(2026, 1, 1), 5, Decimal("50.0000"), True),
        ("", "erp", date(2026, 1, 2), 4, Decimal("40.0000"), False),
    ]
    for bad, message in (
        ("sku,units\nA,1\n", "missing column"),
        ("date,sku,units\n2026-13-01,A,1\n", "line 2"),
        ("date,sku,units\n2026-01-01,A,-1\n", "units"),
        ("date,sku,units\n2026-01-01,A,x\n", "line 2"),
        ("date,sku,units\n", "no rows"),
    ):
        with pytest.raises(store.SalesImportError, match=message):
            store.import_sales(pool, bad, "bad.csv", "tester")
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM sales_imports").fetchone() == (2,)


def test_sales_import_from_the_command_line(clean_db: str, tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "shopops"
    env = {"DATABASE_URL": clean_db, "PATH": str(Path(sys.executable).parent)}
    path = tmp_path / "erp.csv"
    path.write_text("date,sku,units,unit_price\n2026-01-01,A,3,2.50\n2026-01-02,A,1,2.50\n")
    done = subprocess.run(
        [exe, "sales", "import", str(path), "--by", "erp-sync"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "2 rows, 1 SKUs, 2026-01-01 .. 2026-01-02" in done.stdout
    path.write_text("date,sku\n2026-01-01,A\n")
    bad = subprocess.run(
        [exe, "sales", "import", str(path)], env=env, capture_output=True, text=True, check=False, timeout=60
    )
    assert bad.returncode == 1
    assert "missing column(s) units" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_clearance_suggests_min_of_beta_times_slow_stock_and_all_stock() -> None:
    policy = ClearancePolicy()
    slow = clearance_suggestion(400, 0.5, "forecast", 10, policy)
    assert slow is not None
    assert (slow.slow_qty, slow.suggested_qty) == (370, 185)  # 400 - 0.5 * 60 days; beta 0.5
    assert "800 days of cover > 90" in slow.reason
    everything = clearance_suggestion(40, 0.0, "30-day average", 0, policy.merged({"beta": 2.0}))
    assert everything is not None
    assert (everything.slow_qty, everything.suggested_qty) == (40, 40)
    assert clearance_suggestion(100, 2.0, "forecast", 60, policy) is None  # 50 days of cover, 37% sell-through
    assert clearance_suggestion(0, 0.0, "forecast", 0, policy) is None
    with pytest.raises(DomainError, match="unknown"):
        policy.merged({"betta": 1})
    with pytest.raises(DomainError):
        ClearancePolicy(min_sell_through=2)
