"""`shopops up --demo` history: months of orders with business times and costs, tickets, a slow mover and an
open alert, so every part of the dashboard has data on first start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cli.demo import load_demo
from infrastructure.bootstrap import Container
from tests.api.conftest import Api


async def test_the_demo_gives_every_dashboard_figure_data(api: Api, container: Container) -> None:
    assert load_demo(container.app, orders=60, days=90)
    await api.seen("/api/v1/orders?limit=1", container.app.position())
    start = (datetime.now(UTC) - timedelta(days=91)).date()
    kpis = (await api.get(f"/api/v1/kpis?from={start}")).json()
    assert kpis["orders"]["count"] == 60
    assert kpis["orders"]["placed_to_shipped_s"]["p50"] > 0
    assert float(kpis["sales"]["revenue"]["amount"]) > 0
    assert float(kpis["inventory"]["value"]["amount"]) > 0
    assert kpis["inventory"]["turnover"] > 0
    assert kpis["inventory"]["slow_mover_share_skus"] > 0  # UMBRELLA-XL is never ordered
    assert kpis["tickets"]["opened"] >= 40
    assert kpis["tickets"]["resolution_s"]["p50"] > 0
    alerts = (await api.get("/api/v1/alerts?status=open")).json()["items"]
    assert [(a["kind"], a["subject"]) for a in alerts] == [("stockout", "HEADLAMP/BER")]
    months = (await api.get(f"/api/v1/reports/sales?from={start}&interval=month&group_by=channel")).json()
    assert len({item["period"] for item in months["items"]}) >= 3
