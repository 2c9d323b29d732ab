"""The Litestar application: `create_app(container)` for tests and embedding, `create_app_from_env()` for uvicorn.

Layout: `/api/v1` (bearer auth, role guards on every route, deny by default), `/health/*` and `/metrics` at the
root, OpenAPI 3.1 at `/schema/openapi.json` with interactive docs at `/schema`. Every error is a problem+json.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import CapacityLimiter
from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore

from api.body import strict_body
from api.controllers.agents import AgentController
from api.controllers.audit import AuditController
from api.controllers.audit_log import AuditLogController
from api.controllers.auth import AuthController
from api.controllers.channel_settings import ChannelSettingsController
from api.controllers.channels import ChannelController
from api.controllers.customers import CustomerController
from api.controllers.forecasts import (
    ClearanceController,
    ForecastAccuracyController,
    ForecastController,
    ForecastRunController,
    SalesHistoryController,
)
from api.controllers.health import HealthController
from api.controllers.holds import HoldController
from api.controllers.operations import JobController, ReplenishmentController
from api.controllers.orders import OrderController
from api.controllers.products import ProductController
from api.controllers.stock import StockController
from api.controllers.tickets import TicketController
from api.controllers.transfers import TransferController
from api.controllers.warehouses import WarehouseController
from api.headers import SecurityHeadersMiddleware
from api.metrics import MetricsMiddleware
from api.problems import handle_exception
from api.runtime import RequestIdMiddleware, Runtime, provide_commands, provide_db, provide_if_match
from api.security import API_PREFIX, BearerAuthMiddleware, check_every_route_guarded
from infrastructure.bootstrap import Container, bootstrap
from infrastructure.eventstore.log import create_pool
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
    HoldController,
    ChannelSettingsController,
]


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """Open the read pool for the app's lifetime; close it and the container (event-store pool) at shutdown."""
    runtime: Runtime = app.state.runtime
    runtime.pool = await create_pool(runtime.settings)
    try:
        yield
    finally:
        pool, runtime.pool = runtime.pool, None
        await pool.close()
        runtime.container.close()


def _api_router() -> Router:
    return Router(
        path=API_PREFIX,
        route_handlers=CONTROLLERS,
        middleware=[BearerAuthMiddleware],
        before_request=strict_body,
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
        render_plugins=[ScalarRenderPlugin(path="/")],
        components=Components(
            security_schemes={"BearerAuth": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
        ),
    )


def create_app(container: Container) -> Litestar:
    """Build the app around an existing container (which the app closes at shutdown)."""
    settings = container.settings
    limiter = CapacityLimiter(settings.shopops_pool_size + settings.shopops_pool_max_overflow)
    stores: dict[str, Store] = {}
    if settings.redis_url:  # rate limits shared by every API process (S5); in memory for a single process
        shared = RedisStore.with_client(url=settings.redis_url, namespace="shopops:ratelimit")
        stores["login_rate_limit"] = shared.with_namespace("login")
        stores["webhook_rate_limit"] = shared.with_namespace("webhooks")
    app = Litestar(
        stores=stores,
        route_handlers=[_api_router(), HealthController],
        state=State({"runtime": Runtime(container, limiter)}),
        lifespan=[lifespan],
        middleware=[RequestIdMiddleware, MetricsMiddleware, SecurityHeadersMiddleware],
        exception_handlers={Exception: handle_exception, HTTPException: handle_exception},
        request_max_body_size=settings.shopops_max_body_bytes,
        openapi_config=_openapi(),
    )
    check_every_route_guarded(app)
    return app


def create_app_from_env() -> Litestar:
    """uvicorn factory (`uvicorn --factory api.app:create_app_from_env`): settings from the environment."""
    return create_app(bootstrap(get_settings()))
