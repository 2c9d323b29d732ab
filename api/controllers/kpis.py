"""KPIs (`/kpis`, `/kpis/definitions`): the figures of a period, filtered and compared, with a drill-down to
the orders, stock and tickets behind them. Computed in SQL from the read models (D13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter

from api.params import CODE_PATTERN, Db, Filter
from api.roles import KPI_READ
from api.runtime import runtime_of
from application.insight import DEFINITIONS, kpis
from domain.base import DomainError
from domain.insight import Period, period
from infrastructure.insight.drill import drill
from infrastructure.insight.kpis import PgKpiQueries

MOMENT = r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$"
Moment = Annotated[str | None, QueryParameter(max_length=40, pattern=MOMENT)]
Code = Annotated[str | None, QueryParameter(min_length=1, max_length=64, pattern=CODE_PATTERN)]
Compare = Annotated[str | None, QueryParameter(pattern=r"^(previous|yoy)$")]
Flag = Annotated[int, QueryParameter(ge=0, le=1)]


def parse_period(start: str | None, end: str | None, default_days: int = 30) -> Period:
    """`from`/`to` as dates or RFC 3339 times; by default the last `default_days` whole UTC days."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    try:
        finish = _parse(end) if end else today
        begin = _parse(start) if start else finish - timedelta(days=default_days)
    except ValueError:
        raise DomainError("from/to must be dates or RFC 3339 times") from None
    return period(begin, finish)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))


def filters(channel: str | None, warehouse: str | None, category: str | None) -> dict[str, Any]:
    return {"channel": channel, "warehouse": warehouse, "category": category}


def queries(request: Request[Any, Any, Any], db: Any) -> PgKpiQueries:
    settings = runtime_of(request).settings
    return PgKpiQueries(db, settings.shopops_slow_days, settings.shopops_slow_units_pct)


class KpiController(Controller):
    path = "/kpis"
    tags = ("insight",)

    @get("/", guards=[KPI_READ])
    async def get_kpis(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        from_: Annotated[str | None, QueryParameter(query="from", max_length=40, pattern=MOMENT)] = None,
        to: Moment = None,
        channel: Code = None,
        warehouse: Code = None,
        category: Filter = None,
        compare: Compare = None,
        drill_: Annotated[int, QueryParameter(query="drill", ge=0, le=1)] = 0,
    ) -> dict[str, Any]:
        """The KPI object of the contract for [from, to); `compare` adds deltas, `drill=1` the records."""
        current = parse_period(from_, to)
        chosen = filters(channel, warehouse, category)
        result = await kpis(queries(request, db), current, chosen, compare)
        if "support" in request.user.roles and not {"admin", "ops", "finance", "auditor"} & set(request.user.roles):
            result = {k: v for k, v in result.items() if k in ("from", "to", "tickets")}
        if drill_:
            result["drill"] = await drill(db, queries(request, db).values(current, chosen))
        return result

    @get("/definitions", guards=[KPI_READ])
    async def definitions(self) -> dict[str, Any]:
        """Each KPI's formula, unit and what it includes (versioned)."""
        return DEFINITIONS
