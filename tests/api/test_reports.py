"""Sales and inventory reports over the January history: grouped, bucketed, compared, paginated, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from infrastructure.bootstrap import Container
from tests.api.conftest import Api, assert_problem
from tests.api.insight_seed import seed


@pytest.fixture
async def seeded(api: Api, container: Container) -> dict[str, str]:
    ids = await seed(api, container)
    assert (await api.seen("/api/v1/orders?limit=1", container.app.position())).status_code == 200
    return ids


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def test_sales_by_channel_per_month_with_cogs_and_margin(api: Api, seeded: dict[str, str]) -> None:
    response = await api.get("/api/v1/reports/sales?from=2026-01-01&to=2026-02-01&group_by=channel&interval=month")
    assert response.status_code == 200, response.text
    market, web = response.json()["items"]
    assert web == {
        "period": "2026-01-01",
        "group": "web",
        "orders": 2,
        "units": 7,
        "revenue": eur("65.00"),
        "refunds": eur("0.00"),
        "net_revenue": eur("65.00"),
        "cogs": eur("26.00"),  # O1 2 × 4.00, O2 4 × 4.00 + 1 × 2.00 (O4 was cancelled)
        "margin": eur("39.00"),
    }
    assert (market["group"], market["revenue"], market["cogs"], market["margin"]) == (
        "market",
        eur("10.00"),
        eur("0.00"),
        eur("10.00"),
    )


async def test_month_on_month_compares_the_same_calendar_days(api: Api, seeded: dict[str, str]) -> None:
    query = "from=2026-02-01&to=2026-03-01&group_by=sku&interval=month&compare=previous"
    [item] = (await api.get(f"/api/v1/reports/sales?{query}")).json()["items"]
    assert (item["period"], item["group"], item["units"]) == ("2026-02-01", "A", 1)
    assert item["previous"] == {"orders": 3, "units": 7, "revenue": eur("70.00")}  # A in 1–31 January, O4 cancelled
    daily = await api.get("/api/v1/reports/sales?from=2026-01-05&to=2026-01-09&group_by=category&interval=day")
    assert [(i["period"], i["group"], i["units"]) for i in daily.json()["items"]] == [
        ("2026-01-05", "tools", 2),
        ("2026-01-06", "tools", 4),
        ("2026-01-06", "toys", 1),
        ("2026-01-07", "tools", 1),
    ]


async def test_pages_follow_the_cursor_and_csv_streams_every_row(api: Api, seeded: dict[str, str]) -> None:
    query = "from=2026-01-01&to=2026-02-01&group_by=sku&interval=day"
    first = (await api.get(f"/api/v1/reports/sales?{query}&limit=2")).json()
    second = (await api.get(f"/api/v1/reports/sales?{query}&limit=2&cursor={first['next_cursor']}")).json()
    assert [i["period"] for i in first["items"] + second["items"]] == [
        "2026-01-05",
        "2026-01-06",
        "2026-01-06",
        "2026-01-07",
    ]
    third = (await api.get(f"/api/v1/reports/sales?{query}&limit=2&cursor={second['next_cursor']}")).json()
    assert third == {"items": [], "next_cursor": None}
    exported = await api.get(f"/api/v1/reports/sales?{query}", Accept="text/csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["period"], r["group"], r["units"], r["revenue"]) for r in rows] == [
        ("2026-01-05", "A", "2", "20.00"),
        ("2026-01-06", "A", "4", "40.00"),
        ("2026-01-06", "B", "1", "5.00"),
        ("2026-01-07", "A", "1", "10.00"),
    ]
    by_format = await api.get(f"/api/v1/reports/sales?{query}&format=csv")
    assert by_format.text == exported.text
    assert_problem(await api.get("/api/v1/reports/sales?group_by=colour"), 422)


async def test_inventory_report_per_sku_and_warehouse_with_value_and_slow_flag(
    api: Api, seeded: dict[str, str]
) -> None:
    items = (await api.get("/api/v1/reports/inventory")).json()["items"]
    assert [(i["sku"], i["warehouse"], i["on_hand"], i["value"]) for i in items] == [
        ("A", "W1", 94, eur("376.00")),
        ("B", "W1", 9, eur("18.00")),
        ("C", "W2", 50, eur("50.00")),
    ]
    assert items[0]["unit_cost"] == eur("4.00")
    assert all(i["slow"] for i in items)  # nothing sold in the 60 days before today
    assert items[2]["age_days"] == (datetime.now(UTC).date() - date(2026, 1, 1)).days
    mine = (await api.get("/api/v1/reports/inventory", role="warehouse", warehouses=("W2",))).json()["items"]
    assert [i["sku"] for i in mine] == ["C"]
    exported = await api.get("/api/v1/reports/inventory?format=csv&category=toys")
    assert exported.text.splitlines()[1].startswith("B,W1,9,2.00,18.00,EUR")
