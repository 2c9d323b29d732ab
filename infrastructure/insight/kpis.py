"""KPI figures of one period from the read models (`application.ports.KpiQueries` over asyncpg)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from domain.insight import Period
from infrastructure.insight import kpi_sql
from infrastructure.insight.binding import bind

CENT = Decimal("0.01")
WORK_MEM = "64MB"  # a year of orders' percentiles sorts in memory instead of temporary files
SECOND_CONNECTION_WAIT_S = 0.05  # how long the figures wait for a second pooled connection before using one


def _money(amount: Decimal | None, currency: str | None) -> dict[str, Any] | None:
    if amount is None:
        return None
    return {"amount": str(Decimal(amount).quantize(CENT)), "currency": currency}


def _ratio(numerator: Any, denominator: Any, digits: int = 6) -> float | None:
    if numerator is None or denominator is None or Decimal(denominator) == 0:
        return None
    return round(float(Decimal(numerator) / Decimal(denominator)), digits)


def _percentiles(values: list[float] | None, names: tuple[str, ...]) -> dict[str, float | None]:
    if not values:
        return dict.fromkeys(names)
    return {name: round(float(v), 3) for name, v in zip(names, values, strict=True)}


class PgKpiQueries:
    """Each section is one SQL statement; `figures` assembles the KPI object of the contract."""

    def __init__(self, db: Any, slow_days: int, slow_units_pct: float) -> None:
        self.db = db
        self.slow_days = slow_days
        self.slow_units_pct = slow_units_pct
        self.conn: Any = None

    def values(self, period: Period, filters: dict[str, Any]) -> dict[str, Any]:
        return {
            "start": period.start,
            "end": period.end,
            "first_day": period.first_day,
            "end_day": period.end_day,
            "channel": filters.get("channel"),
            "warehouse": filters.get("warehouse"),
            "category": filters.get("category"),
            "slow_days": self.slow_days,
            "slow_pct": Decimal(str(self.slow_units_pct)),
        }

    async def fetch(self, sql: str, values: dict[str, Any], conn: Any = None) -> list[Any]:
        text, args = bind(sql, values)
        return list(await (conn or self.conn or self.db).fetch(text, *args))

    async def figures(self, period: Period, filters: dict[str, Any]) -> dict[str, Any]:
        """Every section in one read-only repeatable-read snapshot. The order figures (the percentile sorts over
        the period's orders) run on one connection while the other sections run on a second connection that
        imports the same snapshot, so the figures stay consistent and the two halves use two cores. When the
        pool has no second connection free at once, everything runs on the first (never waits for a second:
        requests holding one connection each must not wait on each other)."""
        async with self.db.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
            await self._session(conn)
            self.conn = conn
            try:
                async with self._sharing(conn) as other:
                    return await self._figures(period, filters, other)
            finally:
                self.conn = None

    @staticmethod
    async def _session(conn: Any) -> None:
        # Percentiles sort in memory; JIT compilation costs more than it saves on these statements.
        await conn.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        await conn.execute("SET LOCAL jit = off")

    @asynccontextmanager
    async def _sharing(self, conn: Any) -> AsyncIterator[Any]:
        """A second connection in a transaction on `conn`'s snapshot, or `conn` itself when none is free."""
        try:
            other = await self.db.acquire(timeout=SECOND_CONNECTION_WAIT_S)
        except TimeoutError:  # the pool is busy: one connection does it all
            yield conn
            return
        try:
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            async with other.transaction(readonly=True, isolation="repeatable_read"):
                await other.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                await self._session(other)
                yield other
        finally:
            await self.db.release(other)

    async def _figures(self, period: Period, filters: dict[str, Any], other: Any) -> dict[str, Any]:
        values = self.values(period, filters)
        if other is self.conn:  # one connection: one statement at a time
            figures = await self.orders(values)
            rest = await self._rest(values, period, other)
        else:
            async with asyncio.TaskGroup() as both:  # a failure cancels and awaits the other half
                ordered = both.create_task(self.orders(values))
                rested = both.create_task(self._rest(values, period, other))
            figures, rest = ordered.result(), rested.result()
        return {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "currency": rest["sales"].pop("_currency"),
            "orders": figures,
            **rest,
        }

    async def _rest(self, values: dict[str, Any], period: Period, conn: Any) -> dict[str, Any]:
        sales = await self.sales(values, conn)
        return {
            "sales": sales,
            "inventory": await self.inventory(values, period, sales["_currency"], conn),
            "tickets": await self.tickets(values, conn),
            "forecasts": await self.forecasts(values, conn),
            "money": await self.money(values, sales, conn),
        }

    @staticmethod
    def unfiltered(values: dict[str, Any]) -> bool:
        """No warehouse or category filter: order rows alone answer (see kpi_sql.FAST_ORDERS)."""
        return values["warehouse"] is None and values["category"] is None

    async def orders(self, values: dict[str, Any]) -> dict[str, Any]:
        if self.unfiltered(values):
            row = units = (await self.fetch(kpi_sql.FAST_ORDERS, values))[0]
        else:
            row = (await self.fetch(kpi_sql.ORDER_FIGURES, values))[0]
            units = (await self.fetch(kpi_sql.FILL_UNITS, values))[0]
        return {
            "count": int(row["count"]),
            "placed_to_allocated_s": _percentiles(row["to_allocated"], ("p50", "p90", "p95")),
            "placed_to_shipped_s": _percentiles(row["to_shipped"], ("p50", "p90", "p95")),
            "fill_rate_units": _ratio(units["filled"], units["ordered"]),
            "fill_rate_orders": _ratio(row["filled_24h"], row["live"]),
            "backorder_rate": _ratio(row["backordered"], row["live"]),
        }

    async def sales(self, values: dict[str, Any], conn: Any = None) -> dict[str, Any]:
        rows = await self.fetch(kpi_sql.FAST_SALES if self.unfiltered(values) else kpi_sql.SALES, values, conn)
        currencies = sorted({r["currency"] for r in rows})
        currency = currencies[0] if len(currencies) == 1 else None
        revenue = sum((r["revenue"] for r in rows), Decimal(0))
        orders = sum(r["orders"] for r in rows)
        by_channel: dict[str, Any] = {}
        for r in rows:
            entry = by_channel.setdefault(r["channel"], {"orders": 0, "units": 0, "revenue": Decimal(0)})
            entry["orders"] += r["orders"]
            entry["units"] += r["units"]
            entry["revenue"] += r["revenue"]
        return {
            "_currency": currency if rows else None,
            "revenue": _money(revenue, currency),
            "units": sum(int(r["units"]) for r in rows),
            "aov": _money(revenue / orders if orders else None, currency),
            "by_channel": {
                name: {**entry, "revenue": _money(entry["revenue"], currency)} for name, entry in by_channel.items()
            },
        }

    async def inventory(
        self, values: dict[str, Any], period: Period, currency: str | None, conn: Any = None
    ) -> dict[str, Any]:
        rows = await self.fetch(kpi_sql.STOCK, values, conn)
        row, slow = rows[0], [r for r in rows if r["sku"] is not None]
        days = Decimal((period.end_day - period.first_day).days)
        known = not row["value_unknown"]
        average = row["value_days"] / days if known and row["value_days"] is not None else None
        turnover = Decimal(row["cogs"]) / average if average else None
        stocked_value = sum((r["value"] or Decimal(0) for r in slow), Decimal(0))
        slow_rows = [r for r in slow if r["slow"]]
        return {
            "value": _money(row["closing_value"], currency) if known else None,
            "cogs": _money(row["cogs"], currency),
            "average_value": _money(average, currency),
            "turnover": round(float(turnover), 6) if turnover is not None else None,
            "days_of_inventory": round(float(Decimal(period.days) / turnover), 3) if turnover else None,
            "slow_mover_share_skus": _ratio(len(slow_rows), len(slow)),
            "slow_mover_share_value": _ratio(
                sum((r["value"] or Decimal(0) for r in slow_rows), Decimal(0)), stocked_value
            )
            if known
            else None,
            "sell_through": _ratio(row["shipped"], row["opening_units"] + row["received"]),
        }

    async def tickets(self, values: dict[str, Any], conn: Any = None) -> dict[str, Any]:
        row = (await self.fetch(kpi_sql.TICKETS, values, conn))[0]
        return {
            "opened": int(row["opened"]),
            "first_response_s": _percentiles(row["first"], ("p50", "p90")),
            "resolution_s": _percentiles(row["resolution"], ("p50", "p90")),
            "sla_breach_rate": _ratio(row["breached"], row["opened"]),
        }

    async def forecasts(self, values: dict[str, Any], conn: Any = None) -> dict[str, Any]:
        row = (await self.fetch(kpi_sql.FORECASTS, values, conn))[0]
        return {
            "points": int(row["points"]),
            "mase": round(float(row["mase"]), 4) if row["mase"] is not None else None,
            "bias_pct": round(float(row["bias_pct"]), 4) if row["bias_pct"] is not None else None,
        }

    async def money(self, values: dict[str, Any], sales: dict[str, Any], conn: Any = None) -> dict[str, Any]:
        row = (await self.fetch(kpi_sql.MONEY, values, conn))[0]
        revenue = sales["revenue"]["amount"] if sales["revenue"] else None
        currency = sales["revenue"]["currency"] if sales["revenue"] else None
        return {
            "refunds": _money(row["refunds"], currency),
            "refund_rate": _ratio(row["refunds"], revenue),
            "unreconciled": _money(row["unreconciled"], currency),
        }
