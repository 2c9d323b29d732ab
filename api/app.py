"""The Litestar application: `create_app(container)` for tests and embedding, `create_app_from_env()` for uvicorn.

Layout: `/api/v1` (bearer auth, role guards on every route, deny by default), `/health/*` and `/metrics` at the
root, OpenAPI 3.1 at `/schema/openapi.json` with interactive docs at `/schema` (Swagger UI, served by the app
itself: no CDN). Every error is a problem+json, and the document says so for every operation (api.openapi).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import CapacityLimiter
from litestar import Litestar, Request, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore

from api.allow import AllowMiddleware
from api.body import strict_body
from api.controllers.after_sales import AfterSalesController
from api.controllers.agents import AgentController
from api.controllers.alerts import AlertController, AlertSubscriptionController
from api.controllers.audit import AuditController
from api.controllers.audit_log import AuditLogController
from api.controllers.auth import AuthController
from api.controllers.channel_settings import ChannelSettingsController
from api.controllers.channels import ChannelController
from api.controllers.customers import CustomerController
from api.controllers.dashboard import DashboardController
from api.controllers.forecasts import (
    ClearanceController,
    ForecastAccuracyController,
    ForecastController,
    ForecastRunController,
    SalesHistoryController,
)
from api.controllers.health import HealthController
from api.controllers.holds import HoldController
from api.controllers.kpis import KpiController
from api.controllers.operations import JobController, ReplenishmentController
from api.controllers.orders import OrderController
from api.controllers.products import ProductController
from api.controllers.refunds import RefundController
from api.controllers.reports import ReportController
from api.controllers.settlements import SettlementController
from api.controllers.stock import StockController
from api.controllers.tickets import TicketController
from api.controllers.transfers import TransferController
from api.controllers.warehouses import WarehouseController
from api.headers import SecurityHeadersMiddleware
from api.metrics import PROMETHEUS
from api.openapi import docs_assets, docs_plugin, finish_openapi
from api.params import strict_query
from api.problems import handle_exception
from api.runtime import RequestIdMiddleware, Runtime, provide_commands, provide_db, provide_if_match
from api.security import API_PREFIX, BearerAuthMiddleware, check_every_route_guarded
from infrastructure.bootstrap import Container, answer_outages_fast, bootstrap, open_read_pool
from infrastructure.settings import get_settings

CONTROLLERS = [
    AuthController,
    WarehouseController,
    ProductController,
    StockController,
    TransferController,
    OrderController,
    TicketController,
    AgentController,
    CustomerController,
    AuditController,
    AuditLogController,
    JobController,
    ReplenishmentController,
    ForecastController,
    ForecastRunController,
    ForecastAccuracyController,
    SalesHistoryController,
    ClearanceController,
    ChannelController,
    KpiController,  # insight
    ReportController,
    AlertController,
    AlertSubscriptionController,
    RefundController,  # money
    SettlementController,  # money
    AfterSalesController,  # money
    HoldController,
    ChannelSettingsController,
]


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """Open the read pool for the app's lifetime; close it and the container (event-store pool) at shutdown."""
    runtime: Runtime = app.state.runtime
    runtime.pool = await open_read_pool(runtime.settings)
    try:
        yield
    finally:
        pool, runtime.pool = runtime.pool, None
        await pool.close()
        runtime.container.close()


async def strict_input(request: Request[Any, Any, Any]) -> None:
    """Malformed query values and bodies are 422 problems before any handler runs."""
    strict_query(request)
    await strict_body(request)


def _api_router() -> Router:
    return Router(
        path=API_PREFIX,
        route_handlers=CONTROLLERS,
        middleware=[BearerAuthMiddleware],
        before_request=strict_input,
        dependencies={
            "commands": Provide(provide_commands),
            "db": Provide(provide_db),
            "if_match": Provide(provide_if_match),
        },
        security=[{"BearerAuth": []}],
    )


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="shopops",
        version="1.0.0",
        path="/schema",
        render_plugins=[docs_plugin()],
        components=Components(
            security_schemes={"BearerAuth": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
        ),
    )


def create_app(container: Container) -> Litestar:
    """Build the app around an existing container (which the app closes at shutdown)."""
    settings = container.settings
    answer_outages_fast(container)
    limiter = CapacityLimiter(settings.shopops_pool_size + settings.shopops_pool_max_overflow)
    stores: dict[str, Store] = {}
    if settings.redis_url:  # rate limits shared by every API process (S5); in memory for a single process
        shared = RedisStore.with_client(url=settings.redis_url, namespace="shopops:ratelimit")
        stores["login_rate_limit"] = shared.with_namespace("login")
        stores["webhook_rate_limit"] = shared.with_namespace("webhooks")
    app = Litestar(
        stores=stores,
        route_handlers=[_api_router(), HealthController, DashboardController, docs_assets()],
        state=State({"runtime": Runtime(container, limiter)}),
        lifespan=[lifespan],
        middleware=[RequestIdMiddleware, PROMETHEUS.middleware, SecurityHeadersMiddleware, AllowMiddleware],
        exception_handlers={Exception: handle_exception, HTTPException: handle_exception},
        request_max_body_size=settings.shopops_max_body_bytes,
        openapi_config=_openapi(),
    )
    check_every_route_guarded(app)
    finish_openapi(app)
    return app


def create_app_from_env() -> Litestar:
    """uvicorn factory (`uvicorn --factory api.app:create_app_from_env`): settings from the environment."""
    return create_app(bootstrap(get_settings()))
