"""Alerts: the list (each role sees its departments' kinds), acknowledge and resolve, the live stream
(server-sent events fed from the alerts read model, so it works across API processes) and webhook
subscriptions (signed POSTs, delivered through the job ledger)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from api.params import CODE_PATTERN, DEFAULT_LIMIT, Cmds, Db, Limit
from api.roles import ALERT_READ, ALERT_SUBSCRIBE, ALERT_WRITE
from api.schemas import NoteIn
from api.security import QUERY_TOKEN_OPT, warehouse_scope
from domain.alert import KINDS
from infrastructure.insight.subscriptions import put_subscription
from infrastructure.readmodels import alerts as alert_model

POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0
KindFilter = Annotated[str | None, QueryParameter(pattern="^(" + "|".join(KINDS) + ")$")]
StatusFilter = Annotated[str | None, QueryParameter(pattern="^(open|acknowledged|resolved)$")]
SubscriptionId = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=CODE_PATTERN)]


class SubscriptionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    url: Annotated[str, msgspec.Meta(max_length=2_000, pattern=r"^https?://[^\s]+$")]
    kinds: Annotated[
        list[Annotated[str, msgspec.Meta(pattern="^(" + "|".join(KINDS) + ")$")]], msgspec.Meta(max_length=20)
    ]
    secret: Annotated[str, msgspec.Meta(min_length=16, max_length=200)]


def _scope(request: Request[Any, Any, Any]) -> tuple[list[str] | None, list[str] | None]:
    kinds = alert_model.visible_kinds(request.user.roles)
    warehouses = warehouse_scope(request)
    return kinds, sorted(warehouses) if warehouses is not None else None


class AlertController(Controller):
    path = "/alerts"
    tags = ("alerts",)

    @get("/", guards=[ALERT_READ])
    async def list_alerts(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        status: StatusFilter = None,
        kind: KindFilter = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> dict[str, Any]:
        """`status=open` lists alerts not yet resolved (open or acknowledged)."""
        kinds, warehouses = _scope(request)
        items = await alert_model.list_alerts(db, kinds, warehouses, status, kind, limit)
        return {"items": items, "next_cursor": None}

    @post("/{alert_id:uuid}/acknowledge", guards=[ALERT_WRITE], status_code=200)
    async def acknowledge(
        self, alert_id: FromPath[UUID], commands: Cmds, data: JSONBody[NoteIn] | None = None
    ) -> dict[str, Any]:
        result = await commands.run(commands.app.acknowledge_alert, alert_id, data.note if data else None)
        return {"id": str(alert_id), "status": result.aggregate.status, "position": result.position}

    @post("/{alert_id:uuid}/resolve", guards=[ALERT_WRITE], status_code=200)
    async def resolve(
        self, alert_id: FromPath[UUID], commands: Cmds, data: JSONBody[NoteIn] | None = None
    ) -> dict[str, Any]:
        result = await commands.run(commands.app.resolve_alert, alert_id, data.note if data else None)
        return {"id": str(alert_id), "status": result.aggregate.status, "position": result.position}

    @get("/stream", guards=[ALERT_READ], opt={QUERY_TOKEN_OPT: True})
    async def stream(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        max_seconds: Annotated[float, QueryParameter(ge=0, le=3600)] = 300,
    ) -> ServerSentEvent:
        """`text/event-stream`: event `alert` with the alert's JSON each time one is raised or changes. Resumes
        after `Last-Event-ID` (the read-model position); EventSource may pass `?access_token=`. The stream
        ends after `max_seconds` (EventSource reconnects by itself), so no connection outlives a token."""
        kinds, warehouses = _scope(request)
        last = request.headers.get("last-event-id")
        start = int(last) if last and last.isdigit() else await alert_model.latest_position(db)
        feed = _follow(db, start, kinds, warehouses, max_seconds)
        return ServerSentEvent(feed, headers={"Cache-Control": "no-store"})


async def _follow(
    db: Any, position: int, kinds: list[str] | None, warehouses: list[str] | None, max_seconds: float
) -> AsyncIterator[ServerSentEventMessage]:
    yield ServerSentEventMessage(data=None, comment="connected", retry=2000)
    quiet = 0.0
    deadline = asyncio.get_running_loop().time() + max_seconds
    while True:
        changes = await alert_model.changed_since(db, position, kinds, warehouses)
        for alert in changes:
            position = max(position, int(alert["position"]))
            yield ServerSentEventMessage(data=json.dumps(alert), event="alert", id=alert["position"])
        if asyncio.get_running_loop().time() >= deadline:
            return
        quiet = 0.0 if changes else quiet + POLL_SECONDS
        if quiet >= HEARTBEAT_SECONDS:
            quiet = 0.0
            yield ServerSentEventMessage(data=None, comment="heartbeat")
        await asyncio.sleep(POLL_SECONDS)


class AlertSubscriptionController(Controller):
    path = "/alert-subscriptions"
    tags = ("alerts",)

    @put("/{subscription_id:str}", guards=[ALERT_SUBSCRIBE])
    async def put_subscription(
        self, subscription_id: SubscriptionId, data: JSONBody[SubscriptionIn], db: Db
    ) -> dict[str, Any]:
        """Alerts of `kinds` (empty: all) are POSTed to `url`, signed `X-Shopops-Signature: sha256=<HMAC>`."""
        return await put_subscription(db, subscription_id, data.url, list(data.kinds), data.secret)
