"""Forecasts (latest per SKU × warehouse, realised accuracy), refresh runs, sales history and clearance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, JSONBody, QueryParameter

from api.params import CODE_PATTERN, DEFAULT_LIMIT, Db, Limit, Sku
from api.roles import FORECAST_READ, FORECAST_WRITE
from api.runtime import ApiRequest, request_id, runtime_of
from api.schemas import ForecastRefreshIn
from api.security import require_warehouses, warehouse_scope
from api.views import Out, Page
from application.clearance import clearance_suggestions
from infrastructure.forecasting import queries, runs

WarehouseFilter = Annotated[
    str | None, QueryParameter(min_length=1, max_length=64, pattern=CODE_PATTERN, description="warehouse code")
]
Day = Annotated[date | None, QueryParameter(description="YYYY-MM-DD")]


class ForecastPointOut(Out, kw_only=True):
    date: str
    mean: float | None
    lower: float | None  # 80% interval
    upper: float | None
    lower_95: float | None
    upper_95: float | None


class RealisedOut(Out, kw_only=True):
    mase: float | None
    bias: float | None
    points: int
    forecasts: int


class ForecastOut(Out, kw_only=True):
    id: int
    sku: str
    warehouse: str | None  # null: all warehouses together
    model: str
    kind: str
    generated_at: str
    horizon_days: int
    points: list[ForecastPointOut]
    backtest: dict[str, float | None]  # mase, bias (%), error_sd (units/day)
    params: dict[str, Any]
    window: dict[str, Any]
    run_id: int
    realised: RealisedOut | None  # realised error of recent forecasts as sales arrived


class RealisedForecastOut(Out, kw_only=True):
    forecast_id: int
    model: str
    generated_at: str
    points: int
    actual_units: float
    forecast_units: float
    mase: float | None
    bias: float | None
    coverage_80: float | None


class AccuracyOut(Out, kw_only=True):
    sku: str
    warehouse: str | None
    summary: RealisedOut | None
    forecasts: list[RealisedForecastOut]


class AccuracyRowOut(Out, kw_only=True):
    sku: str
    warehouse: str | None
    model: str
    forecasts: int
    points: int
    mase: float | None
    bias: float | None


class RefreshAcceptedOut(Out, kw_only=True):
    job_id: int
    status_url: str


class RefreshRunOut(Out, kw_only=True):
    job_id: int
    status: str  # queued, starting, running, done, failed
    trigger: str | None
    requested_by: str | None
    skus: list[str] | None
    horizon_days: int | None
    batches: int | None
    batches_done: int
    batches_failed: int
    series: int
    created_at: str
    finished_at: str | None
    error: str | None


class SalesDayOut(Out, kw_only=True):
    date: str
    units: int
    revenue: str
    promo: bool
    by_channel: dict[str, int]


class SalesHistoryOut(Out, kw_only=True):
    sku: str
    warehouse: str | None
    days: list[SalesDayOut]


class ClearanceOut(Out, kw_only=True):
    sku: str
    warehouse: str
    category: str | None
    slow_qty: int
    suggested_qty: int
    reason: str
    inputs: dict[str, Any]


def _scoped(request: ApiRequest, warehouse: str | None) -> str:
    if warehouse is not None:
        require_warehouses(request, warehouse)
    return warehouse or ""


class ForecastController(Controller):
    path = "/forecasts"
    tags = ("forecasts",)

    @post("/refresh", guards=[FORECAST_WRITE], status_code=202)
    async def refresh(
        self, request: ApiRequest, db: Db, data: JSONBody[ForecastRefreshIn | None] = None
    ) -> RefreshAcceptedOut:
        """Refresh forecasts now (all SKUs, or the listed ones); the run fans out over the workers per batch
        of SKUs. Follow it at `status_url`."""
        skus = data.skus if data is not None else None
        job_id = await runs.request_refresh_async(
            db, skus, request.user.username, correlation_id=request_id(request.scope)
        )
        return RefreshAcceptedOut(job_id=job_id, status_url=f"/api/v1/forecast-runs/{job_id}")

    @get("/{sku:str}", guards=[FORECAST_READ])
    async def latest(self, request: ApiRequest, sku: Sku, db: Db, warehouse: WarehouseFilter = None) -> ForecastOut:
        """The latest published forecast (80% interval as lower/upper, 95% too) with its backtest metrics
        and how recent forecasts turned out; without `warehouse`, the SKU over all warehouses."""
        row = await queries.latest_forecast(db, sku, _scoped(request, warehouse))
        if row is None:
            where = f" in {warehouse}" if warehouse else ""
            raise NotFoundException(f"no forecast of {sku}{where} yet; POST /api/v1/forecasts/refresh")
        return ForecastOut(
            **{
                **row,
                "points": [ForecastPointOut(**p) for p in row["points"]],
                "realised": RealisedOut(**row["realised"]) if row["realised"] else None,
            }
        )

    @get("/{sku:str}/accuracy", guards=[FORECAST_READ])
    async def accuracy(
        self, request: ApiRequest, sku: Sku, db: Db, warehouse: WarehouseFilter = None, limit: Limit = DEFAULT_LIMIT
    ) -> AccuracyOut:
        """Realised error of each published forecast as actual sales arrived (MASE, bias %, 80% coverage)."""
        code = _scoped(request, warehouse)
        rows = await queries.realised(db, sku, code, limit)
        summary = await queries.realised_summary(db, sku, code)
        return AccuracyOut(
            sku=sku,
            warehouse=warehouse,
            summary=RealisedOut(**summary) if summary else None,
            forecasts=[RealisedForecastOut(**r) for r in rows],
        )


class ForecastRunController(Controller):
    path = "/forecast-runs"
    tags = ("forecasts",)

    @get("/{job_id:str}", guards=[FORECAST_READ])
    async def run(self, job_id: FromPath[str], db: Db) -> RefreshRunOut:
        """Progress of a refresh: batches done out of batches, series published."""
        row = await runs.refresh_run_async(db, int(job_id)) if job_id.isdigit() and len(job_id) < 19 else None
        if row is None:
            raise NotFoundException(f"no forecast refresh {job_id}")
        return RefreshRunOut(**row)


class ForecastAccuracyController(Controller):
    path = "/forecast-accuracy"
    tags = ("forecasts",)

    @get("/", guards=[FORECAST_READ])
    async def board(self, db: Db, limit: Limit = DEFAULT_LIMIT) -> Page[AccuracyRowOut]:
        """Realised MASE and bias per SKU × warehouse over the last 90 days, least trustworthy first."""
        rows = await queries.accuracy_board(db, limit)
        return Page(items=[AccuracyRowOut(**r) for r in rows], next_cursor=None)


class SalesHistoryController(Controller):
    path = "/sales-history"
    tags = ("forecasts",)

    @get("/{sku:str}", guards=[FORECAST_READ])
    async def history(
        self,
        request: ApiRequest,
        sku: Sku,
        db: Db,
        warehouse: WarehouseFilter = None,
        since: Day = None,
        until: Day = None,
    ) -> SalesHistoryOut:
        """Daily units and revenue of a SKU (from orders and imported ERP history), by channel; 90 days by
        default, at most 3 years."""
        if warehouse is not None:
            require_warehouses(request, warehouse)
        end = until or datetime.now(UTC).date()
        start = since or end - timedelta(days=89)
        if start > end or (end - start).days > 3 * 366:
            raise ValidationException("since must not be after until, and the range at most 3 years")
        days = await queries.sales_history(db, sku, warehouse, start, end)
        return SalesHistoryOut(sku=sku, warehouse=warehouse, days=[SalesDayOut(**d) for d in days])


class ClearanceController(Controller):
    path = "/clearance-suggestions"
    tags = ("forecasts",)

    @get("/", guards=[FORECAST_READ])
    async def suggestions(
        self,
        request: ApiRequest,
        db: Db,
        warehouse: WarehouseFilter = None,
        sku: WarehouseFilter = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[ClearanceOut]:
        """Slow movers with D_clear = min(β · I_slow, I_total) and the reason; largest first. Thresholds per
        category from SHOPOPS_CLEARANCE_POLICY."""
        if warehouse is not None:
            require_warehouses(request, warehouse)
        scope = warehouse_scope(request)
        rows = await clearance_suggestions(
            queries.ClearanceStore(db),
            runtime_of(request).settings.clearance_policies,
            datetime.now(UTC).date(),
            sorted(scope) if scope is not None else None,
            warehouse,
            sku,
        )
        return Page(items=[ClearanceOut(**r) for r in rows[:limit]], next_cursor=None)
