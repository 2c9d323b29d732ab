"""KPIs against a history with known business times: every figure equals the value computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from domain.insight import period
from infrastructure.bootstrap import Container
from infrastructure.insight.kpis import PgKpiQueries
from infrastructure.settings import Settings
from tests.api.conftest import Api, assert_problem
from tests.api.insight_seed import at, seed

JANUARY = "from=2026-01-01&to=2026-02-01"


async def kpis(api: Api, query: str, role: str = "admin") -> dict[str, Any]:
    response = await api.get(f"/api/v1/kpis?{query}", role=role)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def seeded(api: Api, container: Container) -> dict[str, str]:
    ids = await seed(api, container)
    last = container.app.position()
    assert (await api.seen("/api/v1/orders?limit=1", last)).status_code == 200
    return ids


async def test_order_figures_are_the_hand_computed_percentiles_and_rates(api: Api, seeded: dict[str, str]) -> None:
    orders = (await kpis(api, JANUARY))["orders"]
    assert orders["count"] == 4  # O1..O4 placed in January (O4 later cancelled)
    # allocation after placement: O1 1 h, O2 26 h, O3 0.5 h → sorted 1800, 3600, 93600
    assert orders["placed_to_allocated_s"] == {"p50": 3600.0, "p90": 75600.0, "p95": 84600.0}
    # shipped: O1 4 h, O2 48 h
    assert orders["placed_to_shipped_s"] == {"p50": 93600.0, "p90": 156960.0, "p95": 164880.0}
    assert orders["fill_rate_units"] == 0.375  # (2 of O1 + 1 of O3) ÷ 8 units of live orders
    assert orders["fill_rate_orders"] == 0.666667  # O1 and O3 of 3 live orders
    assert orders["backorder_rate"] == 0.0


async def test_sales_figures_exclude_cancelled_orders_and_split_by_channel(api: Api, seeded: dict[str, str]) -> None:
    sales = (await kpis(api, JANUARY))["sales"]
    assert sales["revenue"] == {"amount": "75.00", "currency": "EUR"}
    assert sales["units"] == 8
    assert sales["aov"] == {"amount": "25.00", "currency": "EUR"}
    assert sales["by_channel"]["web"] == {"orders": 2, "units": 7, "revenue": {"amount": "65.00", "currency": "EUR"}}
    assert sales["by_channel"]["market"]["revenue"]["amount"] == "10.00"
    toys = (await kpis(api, f"{JANUARY}&category=toys"))["sales"]
    assert (toys["revenue"]["amount"], toys["units"]) == ("5.00", 1)
    web = (await kpis(api, f"{JANUARY}&channel=web"))["orders"]
    assert web["count"] == 3


async def test_warehouse_and_category_filters_give_the_hand_computed_order_figures(
    api: Api, seeded: dict[str, str]
) -> None:
    # toys: only O2 has a toys line (B × 1): allocated after 26 h, shipped after 48 h, nothing within 24 h
    toys = await kpis(api, f"{JANUARY}&category=toys")
    assert toys["orders"] == {
        "count": 1,
        "placed_to_allocated_s": {"p50": 93600.0, "p90": 93600.0, "p95": 93600.0},
        "placed_to_shipped_s": {"p50": 172800.0, "p90": 172800.0, "p95": 172800.0},
        "fill_rate_units": 0.0,
        "fill_rate_orders": 0.0,
        "backorder_rate": 0.0,
    }
    # W1 allocated O1, O2 and O3 (O4 was cancelled unallocated): the unfiltered live orders' figures
    w1 = await kpis(api, f"{JANUARY}&warehouse=W1")
    assert w1["orders"] == {
        "count": 3,
        "placed_to_allocated_s": {"p50": 3600.0, "p90": 75600.0, "p95": 84600.0},
        "placed_to_shipped_s": {"p50": 93600.0, "p90": 156960.0, "p95": 164880.0},
        "fill_rate_units": 0.375,  # O1's 2 and O3's 1 of 8 units within 24 h
        "fill_rate_orders": 0.666667,
        "backorder_rate": 0.0,
    }
    assert (w1["sales"]["revenue"]["amount"], w1["sales"]["units"]) == ("75.00", 8)
    w2 = await kpis(api, f"{JANUARY}&warehouse=W2")  # W2 allocated nothing
    assert (w2["orders"]["count"], w2["sales"]["units"]) == (0, 0)


async def test_the_figures_are_the_same_on_one_connection_as_on_two_sharing_a_snapshot(
    settings: Settings, seeded: dict[str, str]
) -> None:
    january = period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    figures = []
    for size in (1, 2):  # one pooled connection: every section on it; two: orders beside the rest
        pool = await asyncpg.create_pool(settings.database_url, min_size=size, max_size=size)
        try:
            for filters in ({}, {"warehouse": "W1"}, {"category": "toys"}):
                figures.append(await PgKpiQueries(pool, 60, 1.0).figures(january, filters))
        finally:
            await pool.close()
    assert figures[:3] == figures[3:]
    assert [f["orders"]["count"] for f in figures[:3]] == [4, 3, 1]


async def test_inventory_figures_come_from_the_daily_snapshots(api: Api, seeded: dict[str, str]) -> None:
    inventory = (await kpis(api, JANUARY))["inventory"]
    assert inventory["sell_through"] == 0.04375  # 7 units shipped ÷ (0 opening + 100 + 10 + 50 received)
    # C in W2 sold nothing over the last 60 days: 1 slow SKU × warehouse of 3 with stock
    assert inventory["slow_mover_share_skus"] == 0.333333
    assert inventory["value"] == {"amount": "444.00", "currency": "EUR"}  # A 94 × 4 + B 9 × 2 + C 50 × 1
    assert inventory["cogs"] == {"amount": "26.00", "currency": "EUR"}  # O1: 2 × 4; O2: 4 × 4 + 1 × 2
    # average value over 31 days: A 4 d × 400 + 3 d × 392 + 24 d × 376, B 7 d × 20 + 24 d × 18, C 31 d × 50
    assert inventory["average_value"] == {"amount": "449.10", "currency": "EUR"}  # 13922 ÷ 31
    assert inventory["turnover"] == 0.057894  # 26 ÷ (13922 ÷ 31)
    assert inventory["days_of_inventory"] == 535.462  # 31 ÷ turnover
    assert inventory["slow_mover_share_value"] == 0.112613  # C's 50 of 444


async def test_ticket_figures_use_first_response_and_resolution_times(api: Api, seeded: dict[str, str]) -> None:
    tickets = (await kpis(api, JANUARY))["tickets"]
    assert tickets["opened"] == 2
    assert tickets["first_response_s"] == {"p50": 45000.0, "p90": 78120.0}  # 1 h and 24 h
    assert tickets["resolution_s"] == {"p50": 14400.0, "p90": 14400.0}
    assert tickets["sla_breach_rate"] == 0.5  # the second answered after its 8 h first-response deadline
    support = await kpis(api, JANUARY, role="support")
    assert set(support) == {"from", "to", "tickets"}


async def test_a_past_period_does_not_change_when_later_events_arrive(api: Api, seeded: dict[str, str]) -> None:
    before = await kpis(api, JANUARY)
    body = {"warehouse": "W1", "carrier": "DHL", "tracking_number": "late"}
    shipped = await api.post(f"/api/v1/orders/{seeded['O3']}/shipments", body, **at("2026-02-03T09:00:00Z"))
    assert shipped.status_code == 201
    await api.seen("/api/v1/orders?limit=1", shipped.json()["position"])
    assert await kpis(api, JANUARY) == before


async def test_compare_gives_the_previous_period_and_the_relative_change(api: Api, seeded: dict[str, str]) -> None:
    february = await kpis(api, "from=2026-02-01&to=2026-03-01&compare=previous")
    assert february["orders"]["count"] == 1
    compare = february["compare"]
    assert compare["period"] == {
        "kind": "previous",
        "from": "2026-01-04T00:00:00+00:00",
        "to": "2026-02-01T00:00:00+00:00",
    }
    assert compare["values"]["orders"]["count"] == 4  # O1..O4 fall in 4–31 January too
    assert compare["delta_pct"]["orders"]["count"] == -75.0
    yoy = await kpis(api, f"{JANUARY}&compare=yoy")
    assert yoy["compare"]["period"]["from"] == "2025-01-01T00:00:00+00:00"
    assert yoy["compare"]["delta_pct"]["orders"]["count"] is None  # nothing a year earlier


async def test_drill_down_lists_the_orders_stock_and_tickets_behind_the_figures(
    api: Api, seeded: dict[str, str]
) -> None:
    drill = (await kpis(api, f"{JANUARY}&drill=1"))["drill"]
    assert [o["external_id"] for o in drill["orders"]] == ["O1", "O2", "O3", "O4"]
    assert [o["counted"] for o in drill["orders"]] == [True, True, True, False]
    assert [(s["sku"], s["warehouse"], s["slow"]) for s in drill["stock"]] == [
        ("A", "W1", False),
        ("B", "W1", False),
        ("C", "W2", True),
    ]
    assert len(drill["tickets"]) == 2


async def test_definitions_name_every_figure_and_bad_periods_are_refused(api: Api) -> None:
    definitions = (await api.get("/api/v1/kpis/definitions", role="auditor")).json()
    assert definitions["version"] == "1.1"
    assert "COGS ÷ average inventory value" in definitions["kpis"]["inventory.turnover"]["formula"]
    assert_problem(await api.get("/api/v1/kpis?from=2026-02-01&to=2026-01-01"), 422)
    assert_problem(await api.get("/api/v1/kpis?compare=lastweek"), 422)
    assert_problem(await api.get("/api/v1/kpis", role="warehouse"), 403)


async def test_business_time_may_only_be_stated_by_admin_or_integration_and_never_in_the_future(api: Api) -> None:
    await api.catalog("A")
    body = {"quantity": 1, "reference": "po"}
    assert_problem(await api.post("/api/v1/stock/A/W1/receipts", body, **at("2999-01-01T00:00:00Z")), 422)
    refused = await api.post(
        "/api/v1/stock/A/W1/receipts", body, role="warehouse", warehouses=("W1",), **at("2026-01-01T00:00:00Z")
    )
    assert_problem(refused, 403)
