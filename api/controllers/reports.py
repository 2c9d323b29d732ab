"""Reports: sales by channel/category/SKU/warehouse per day/week/month with YoY or MoM comparison on the same
calendar days, and inventory per SKU × warehouse. JSON pages, or CSV (`Accept: text/csv` or `?format=csv`)
streamed in full."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter
from litestar.response import Stream

from api.controllers.kpis import MOMENT, Code, Compare, Moment, parse_period
from api.params import DEFAULT_LIMIT, Cursor, Db, Filter, Limit
from api.roles import INVENTORY_REPORT, SALES_REPORT
from api.runtime import runtime_of
from api.security import warehouse_scope
from infrastructure.insight.reports import inventory_report, sales_report, stream_csv
from infrastructure.readmodels.base import decode_cursor, encode_cursor

GroupBy = Annotated[str, QueryParameter(pattern="^(channel|category|sku|warehouse)$")]
Interval = Annotated[str, QueryParameter(pattern="^(day|week|month)$")]
Format = Annotated[str | None, QueryParameter(pattern="^(json|csv)$")]
Category = Filter
SALES_COLUMNS = (
    "period",
    "group",
    "orders",
    "units",
    "revenue",
    "refunds",
    "net_revenue",
    "cogs",
    "margin",
    "currency",
    "previous_orders",
    "previous_units",
    "previous_revenue",
)
INVENTORY_COLUMNS = (
    "sku",
    "warehouse",
    "on_hand",
    "unit_cost",
    "value",
    "currency",
    "days_of_cover",
    "age_days",
    "turnover",
    "slow",
)
CSV_PAGE = 500


def wants_csv(request: Request[Any, Any, Any], fmt: str | None) -> bool:
    return fmt == "csv" or (fmt is None and "text/csv" in request.headers.get("accept", ""))


def _amount(value: dict[str, Any] | None) -> str | None:
    return value["amount"] if value else None


def sales_row(item: dict[str, Any]) -> list[Any]:
    previous = item.get("previous") or {}
    currency = (item["revenue"] or {}).get("currency")
    money = [_amount(item[k]) for k in ("revenue", "refunds", "net_revenue", "cogs", "margin")]
    return [
        item["period"],
        item["group"],
        item["orders"],
        item["units"],
        *money,
        currency,
        previous.get("orders"),
        previous.get("units"),
        _amount(previous.get("revenue")),
    ]


def inventory_row(item: dict[str, Any]) -> list[Any]:
    currency = (item["unit_cost"] or {}).get("currency")
    return [
        item["sku"],
        item["warehouse"],
        item["on_hand"],
        _amount(item["unit_cost"]),
        _amount(item["value"]),
        currency,
        item["days_of_cover"],
        item["age_days"],
        item["turnover"],
        item["slow"],
    ]


def csv_response(
    pages: Callable[[Any], Awaitable[list[dict[str, Any]]]], columns: tuple[str, ...], flatten: Any, name: str
) -> Stream:
    return Stream(
        stream_csv(pages, columns, flatten),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


class ReportController(Controller):
    path = "/reports"
    tags = ("insight",)

    @get("/sales", guards=[SALES_REPORT])
    async def sales(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        from_: Annotated[str | None, QueryParameter(query="from", max_length=40, pattern=MOMENT)] = None,
        to: Moment = None,
        group_by: GroupBy = "channel",
        interval: Interval = "day",
        compare: Compare = None,
        channel: Code = None,
        category: Category = None,
        format: Format = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response[Any] | Stream:
        current = parse_period(from_, to)
        base = {"start": current.start, "end": current.end, "channel": channel, "category": category}

        async def page(after: dict[str, Any] | None, size: int = CSV_PAGE) -> list[dict[str, Any]]:
            keys = {
                "after_period": date.fromisoformat(after["period"]) if after else None,
                "after_group": after["group"] if after else None,
                "limit": size,
            }
            return await sales_report(db, group_by, interval, compare, {**base, **keys})

        if wants_csv(request, format):
            return csv_response(page, SALES_COLUMNS, sales_row, "sales")
        after = decode_cursor(cursor, 2)
        items = await page({"period": after[0], "group": after[1]} if after else None, limit)
        following = encode_cursor(items[-1]["period"], items[-1]["group"]) if len(items) == limit else None
        return Response({"items": items, "next_cursor": following})

    @get("/inventory", guards=[INVENTORY_REPORT])
    async def inventory(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        warehouse: Code = None,
        category: Category = None,
        format: Format = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response[Any] | Stream:
        settings = runtime_of(request).settings
        scope = warehouse_scope(request)
        base = {
            "warehouse": warehouse,
            "category": category,
            "warehouses": sorted(scope) if scope is not None else None,
            "slow_days": settings.shopops_slow_days,
            "slow_pct": str(settings.shopops_slow_units_pct),
        }

        async def page(after: dict[str, Any] | None, size: int = CSV_PAGE) -> list[dict[str, Any]]:
            keys = {
                "after_sku": after["sku"] if after else None,
                "after_warehouse": after["warehouse"] if after else None,
                "limit": size,
            }
            return await inventory_report(db, {**base, **keys})

        if wants_csv(request, format):
            return csv_response(page, INVENTORY_COLUMNS, inventory_row, "inventory")
        after = decode_cursor(cursor, 2)
        items = await page({"sku": after[0], "warehouse": after[1]} if after else None, limit)
        following = encode_cursor(items[-1]["sku"], items[-1]["warehouse"]) if len(items) == limit else None
        return Response({"items": items, "next_cursor": following})
