"""`OPTIONS` answers with the methods the resource really has (Litestar's automatic answer can miss some).

Litestar builds the `OPTIONS` handler of a path when the path's first handler is registered; methods that
other handlers add to the same path later (a controller's `GET /` and `POST /`) are missing from its `Allow`
header, while a 405 on the same path lists them all. This middleware sets `Allow` from the final routes.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

STATE_KEY = "allow_by_path"


def allow_by_path(app: Litestar) -> dict[str, str]:
    """`Allow` per path template (`/api/v1/orders/{order_id}`, as routing records it), computed once per app."""
    known: dict[str, str] | None = app.state.get(STATE_KEY)
    if known is None:
        methods: dict[str, set[str]] = {}
        for route in app.routes:
            if isinstance(route, HTTPRoute):
                methods.setdefault(route.path_format, set()).update(route.methods)
        known = {path: ", ".join(sorted(names)) for path, names in methods.items()}
        app.state[STATE_KEY] = known
    return known


class AllowMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "OPTIONS":
            await self.app(scope, receive, send)
            return
        allow = allow_by_path(scope["app"]).get(scope.get("path_template", ""))

        async def with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and allow and message["status"] < 300:
                MutableScopeHeaders.from_message(message)["Allow"] = allow
            await send(message)

        await self.app(scope, receive, with_allow)
