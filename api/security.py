"""Bearer tokens, the authenticated principal, role guards and warehouse scope (deny by default).

Tokens are HS256 JWTs carrying the username, roles and warehouses, so no request needs a user lookup; they
expire after `shopops_token_ttl_seconds`. Every `/api/v1` handler must declare the roles it admits with an
`Allow` guard: `check_every_route_guarded` refuses to build an app in which one does not, so a new endpoint
cannot ship unprotected by forgetting it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

import jwt
from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from api.problems import problem_for, send_response
from infrastructure.settings import Settings

ALGORITHM = "HS256"
API_PREFIX = "/api/v1"
PUBLIC_OPT = "exclude_from_auth"  # handler opt that marks the few routes reachable without a token


@dataclass(frozen=True)
class Principal:
    """Who is calling: from a verified token."""

    username: str
    roles: tuple[str, ...]
    warehouses: tuple[str, ...]

    @property
    def primary_role(self) -> str:
        """The role recorded as the actor's role on events (the first one granted)."""
        return self.roles[0]


def issue_token(settings: Settings, username: str, roles: Iterable[str], warehouses: Iterable[str]) -> str:
    now = int(time.time())
    claims = {
        "sub": username,
        "roles": list(roles),
        "warehouses": list(warehouses),
        "iat": now,
        "exp": now + settings.shopops_token_ttl_seconds,
    }
    return jwt.encode(claims, settings.shopops_secret_key, algorithm=ALGORITHM)


def read_token(settings: Settings, token: str) -> Principal:
    """Verify signature and expiry (with the configured leeway); any failure is a 401.

    A token's signature is verified once per process (`_verified` keeps the last few thousand): a token
    cannot change, so only its expiry is checked again on every request."""
    principal, expires = _verified(settings.shopops_secret_key, settings.shopops_token_leeway_seconds, token)
    if time.time() > expires + settings.shopops_token_leeway_seconds:
        raise NotAuthorizedException("the token has expired")
    return principal


@lru_cache(maxsize=4096)
def _verified(secret: str, leeway: float, token: str) -> tuple[Principal, float]:
    """The principal a valid token names and its expiry; raises (and so caches nothing) for any bad token."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], leeway=leeway, options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise NotAuthorizedException("the token has expired") from None
    except jwt.InvalidTokenError:
        raise NotAuthorizedException("the token is not valid") from None
    roles, warehouses = claims.get("roles"), claims.get("warehouses", [])
    if not isinstance(roles, list) or not roles or not isinstance(warehouses, list):
        raise NotAuthorizedException("the token carries no roles")
    if not isinstance(claims["exp"], int | float):
        raise NotAuthorizedException("the token is not valid")
    return Principal(str(claims["sub"]), tuple(map(str, roles)), tuple(map(str, warehouses))), float(claims["exp"])


class BearerAuthMiddleware:
    """Puts the `Principal` on the connection, or answers 401 itself (handlers marked public are skipped).

    It renders the problem instead of raising so that the response still passes through the outer middleware
    (request id, metrics) like every other answer.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        public = handler is not None and handler.opt.get(PUBLIC_OPT, False)
        if scope["type"] != ScopeType.HTTP or public or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        try:
            scope["user"] = self._authenticate(scope, query_token_allowed(handler))
        except NotAuthorizedException as error:
            await send_response(send, problem_for(error))
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _authenticate(scope: Scope, query_token: bool = False) -> Principal:
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        if not header and query_token:  # EventSource cannot send headers: see QUERY_TOKEN_OPT
            header = f"Bearer {token_from_query(scope)}"
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("a bearer token is required")
        settings: Settings = scope["app"].state.runtime.settings
        return read_token(settings, token.strip())


QUERY_TOKEN_OPT = "query_token"  # noqa: S105 - an option name, not a secret
"""Route opt: the bearer token may come as `?access_token=` (only event streams, which browsers open
with EventSource and cannot give headers)."""


def query_token_allowed(handler: Any) -> bool:
    return handler is not None and bool(handler.opt.get(QUERY_TOKEN_OPT, False))


def token_from_query(scope: Scope) -> str:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("access_token", [""])
    return values[0]


@dataclass(frozen=True)
class Allow:
    """Guard admitting only the named roles. Also records the caller's warehouse scope on the connection:
    `None` when a non-warehouse role grants access, else the warehouses the user may touch."""

    roles: frozenset[str]

    async def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, Principal):
            raise NotAuthorizedException("a bearer token is required")
        granted = self.roles.intersection(user.roles)
        if not granted:
            raise PermissionDeniedException("your role may not do this")
        connection.state.warehouse_scope = None if granted - {"warehouse"} else frozenset(user.warehouses)


def allow(*roles: str) -> Allow:
    return Allow(frozenset(roles))


def warehouse_scope(connection: ASGIConnection[Any, Any, Any, Any]) -> frozenset[str] | None:
    """The warehouses this request is limited to (None: all), as decided by its `Allow` guard."""
    scope: frozenset[str] | None = connection.state.get("warehouse_scope")
    return scope


def require_warehouses(connection: ASGIConnection[Any, Any, Any, Any], *codes: str) -> None:
    """403 unless every named warehouse is within the caller's scope (object-level authorisation, S2)."""
    scope = warehouse_scope(connection)
    outside = sorted({c for c in codes if scope is not None and c not in scope})
    if outside:
        raise PermissionDeniedException(f"warehouse(s) {', '.join(outside)} are outside your scope")


def check_every_route_guarded(app: Litestar) -> None:
    """Refuse to start when an `/api/v1` handler lacks an `Allow` guard and is not explicitly public."""
    missing = []
    for route in app.routes:
        if not route.path.startswith(API_PREFIX):
            continue
        for handler in getattr(route, "route_handlers", ()):
            if set(getattr(handler, "http_methods", ())) == {"OPTIONS"}:
                continue  # Litestar's automatic preflight answer: headers only, never data
            public = handler.opt.get(PUBLIC_OPT, False)
            if not public and not any(isinstance(g, Allow) for g in handler.resolve_guards()):
                missing.append(f"{sorted(getattr(handler, 'http_methods', []))} {route.path}")
    if missing:
        raise RuntimeError(f"routes without a roles guard (deny by default): {', '.join(missing)}")
