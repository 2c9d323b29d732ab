"""Login (the only public /api/v1 route, rate limited) and who-am-I."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Controller, Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.params import JSONBody

from api.roles import ANY_ROLE
from api.runtime import ApiRequest, runtime_of
from api.schemas import TokenRequest
from api.security import PUBLIC_OPT, issue_token
from api.views import MeOut, TokenOut
from infrastructure.identity import users

LOGIN_RATE_LIMIT = RateLimitConfig(rate_limit=("minute", 30), store="login_rate_limit")


class AuthController(Controller):
    path = "/"
    tags = ("auth",)

    @post(
        "/auth/token",
        status_code=200,
        opt={PUBLIC_OPT: True},
        middleware=[LOGIN_RATE_LIMIT.middleware],
        security=[],
    )
    async def issue(self, request: Request[Any, Any, Any], data: JSONBody[TokenRequest]) -> TokenOut:
        """Exchange a username and password for a bearer token; wrong credentials are a plain 401 either way."""
        runtime = runtime_of(request)
        user = await users.find_user(runtime.db, data.username)
        valid = await anyio.to_thread.run_sync(users.verify_password, user, data.password)  # slow on purpose
        if user is None or not valid:
            raise NotAuthorizedException("invalid username or password")
        token = issue_token(runtime.settings, user.username, user.roles, user.warehouses)
        return TokenOut(access_token=token, expires_in=runtime.settings.shopops_token_ttl_seconds)

    @get("/me", guards=[ANY_ROLE])
    async def me(self, request: ApiRequest) -> MeOut:
        user = request.user
        return MeOut(username=user.username, roles=list(user.roles), warehouses=list(user.warehouses))
