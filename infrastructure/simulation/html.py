"""The simulation's HTML report: a KPI table and plotly charts, with plotly.js embedded once (no CDN)."""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

KPI_ROWS = (
    ("fill_rate", "fill rate (units)"),
    ("lost_units", "lost units"),
    ("stockout_days", "stockout days (series × days)"),
    ("average_inventory_value", "average inventory value"),
    ("cogs", "COGS"),
    ("turnover", "turnover (COGS ÷ average inventory)"),
    ("slow_mover_share", "slow-mover share"),
    ("cleared_units", "cleared units"),
    ("orders_placed", "orders placed"),
    ("demand_units", "demand units"),
    ("served_units", "served units"),
)
DAILY_CHARTS = (
    ("on_hand_units", "Units on hand (end of day)"),
    ("inventory_value", "Inventory value (end of day)"),
    ("lost_units", "Lost units per day"),
    ("ordered_units", "Units ordered per day"),
)


def render(report: dict[str, Any]) -> str:
    policies: dict[str, Any] = report["policies"]
    window = report["window"]
    figures = [_daily_figure(policies, field, title) for field, title in DAILY_CHARTS]
    figures.append(_share_figure(policies))
    charts = [
        pio.to_html(figure, full_html=False, include_plotlyjs=(i == 0), default_width="100%", default_height=360)
        for i, figure in enumerate(figures)
    ]
    title = f"Policy simulation {window['from']} to {window['to']}"
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}"
        "</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>{window['series']} series, {window['days']} simulated days after {window['warmup_days']} days of "
        f"warm-up; unfilled demand is {html.escape(report['assumptions']['unfilled_demand'])}.</p>"
        f"{_kpi_table(policies)}{''.join(charts)}</body></html>\n"
    )


def _kpi_table(policies: dict[str, Any]) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name in policies)
    rows = "".join(
        f"<tr><td>{label}</td>" + "".join(f"<td>{policies[name][key]:,}</td>" for name in policies) + "</tr>"
        for key, label in KPI_ROWS
    )
    return f"<table><tr><th>KPI</th>{head}</tr>{rows}</table>"


def _daily_figure(policies: dict[str, Any], field: str, title: str) -> go.Figure:
    figure = go.Figure()
    for name, result in policies.items():
        days = result["daily"]
        figure.add_trace(go.Scatter(x=[d["date"] for d in days], y=[d[field] for d in days], name=name, mode="lines"))
    figure.update_layout(title=title, margin={"t": 40, "b": 30})
    return figure


def _share_figure(policies: dict[str, Any]) -> go.Figure:
    figure = go.Figure()
    for name, result in policies.items():
        figure.add_trace(
            go.Bar(
                x=["fill rate", "turnover", "slow-mover share"],
                y=[result["fill_rate"], result["turnover"], result["slow_mover_share"]],
                name=name,
            )
        )
    figure.update_layout(title="Headline KPIs per policy", barmode="group", margin={"t": 40, "b": 30})
    return figure
