"""What handlers depend on: the command runner (thread pool), the read pool (with `min_position`), If-Match.

eventsourcing is synchronous, so every command runs in a worker thread; a capacity limiter sized to the
event-store connection pool (pool size + overflow) keeps threads from queueing inside the pool, where they
would hold a thread while waiting for a connection. Reads go to the read models through asyncpg.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar
from uuid import uuid4

import anyio.to_thread
import asyncpg
from anyio import CapacityLimiter
from litestar import Request
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, ServiceUnavailableException, ValidationException
from litestar.params import HeaderParameter, QueryParameter
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.business_time import stated_business_time
from api.security import Principal
from application.base import Result
from application.shopops import ShopOps
from domain.base import Actor, Meta
from infrastructure.bootstrap import Container
from infrastructure.eventstore.log import log_position
from infrastructure.readmodels import tracking
from infrastructure.settings import Settings

T = TypeVar("T")
COMMAND_STARTED = "shopops.command_started"  # scope-state flag read by the idempotency layer
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
IF_MATCH = r'^[ \t]*(\*|(W/)?"*[0-9]{1,18}"*)[ \t]*$'  # what provide_if_match accepts (documented as is)

ApiRequest = Request[Principal, str, State]


@dataclass
class Runtime:
    """Per-process state shared by all requests; the read pool is opened by the app's lifespan."""

    container: Container
    limiter: CapacityLimiter
    pool: asyncpg.Pool | None = field(default=None)

    @property
    def settings(self) -> Settings:
        return self.container.settings

    @property
    def app(self) -> ShopOps:
        return self.container.app

    @property
    def db(self) -> asyncpg.Pool:
        if self.pool is None:
            raise ServiceUnavailableException("the read database is not connected yet")
        return self.pool

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking event-store work in the bounded thread pool, never on the event loop."""
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=self.limiter)


class Commands:
    """A request's view of the application: runs commands with the caller as actor and its request id.

    A plain class on purpose: Litestar re-validates dataclass dependencies field by field.
    """

    def __init__(self, runtime: Runtime, meta: Meta, scope: Scope) -> None:
        self.runtime = runtime
        self.meta = meta
        self.scope = scope

    @property
    def app(self) -> ShopOps:
        return self.runtime.app

    async def run(self, command: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
        self.scope.setdefault("state", {})[COMMAND_STARTED] = True
        return await self.runtime.call(command, *args, meta=self.meta, **kwargs)

    async def load(self, fn: Callable[..., T], *args: Any) -> T:
        """Read from the event store (authoritative, unlike the read models) in the thread pool."""
        return await self.runtime.call(fn, *args)


def runtime_of(request: Request[Any, Any, Any]) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def request_id(scope: Scope) -> str:
    rid: str = scope.get("state", {}).get("request_id") or str(uuid4())
    return rid


async def provide_commands(request: ApiRequest) -> Commands:
    user = request.user
    meta = Meta(
        actor=Actor(id=user.username, role=user.primary_role),
        correlation_id=request_id(request.scope),
        business_time=stated_business_time(request.headers.get("x-business-time"), user.roles),
    )
    return Commands(runtime_of(request), meta, request.scope)


async def provide_db(
    request: Request[Any, Any, Any],
    min_position: Annotated[
        int | None, QueryParameter(name="min_position", ge=0, description="wait until read models reached it")
    ] = None,
) -> asyncpg.Pool:
    """The read pool, after the read models caught up with `min_position` (A2 read-your-writes): 503 with
    Retry-After when they are still behind after the timeout; 400 for a position no command has returned."""
    runtime = runtime_of(request)
    db = runtime.db
    if min_position is not None:
        if min_position > await log_position(db):
            raise ValidationException(f"min_position {min_position} is beyond the end of the event log")
        timeout = runtime.settings.shopops_min_position_timeout_seconds
        if not await tracking.wait_for_position(db, min_position, timeout):
            raise ServiceUnavailableException(
                f"read models have not reached position {min_position} yet", headers={"Retry-After": "1"}
            )
    return db


async def provide_if_match(
    if_match_header: Annotated[
        str | None,
        HeaderParameter(name="If-Match", description='"<version>" from an ETag', schema_extra={"pattern": IF_MATCH}),
    ] = None,
) -> int | None:
    """`If-Match: "7"` → 7 (weak tags and `*` accepted); the application answers 412 when the version moved."""
    if if_match_header is None:
        return None
    if not re.match(IF_MATCH, if_match_header):
        raise ClientException('If-Match must be a version ETag such as "3"')
    tag = if_match_header.strip(" \t").removeprefix("W/").strip('"')
    return None if tag == "*" else int(tag)


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


class RequestIdMiddleware:
    """Takes `X-Request-ID` (or makes one), exposes it as the correlation id and echoes it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _REQUEST_ID.match(given) else str(uuid4())
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)
