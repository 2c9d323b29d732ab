"""`Idempotency-Key` on command POSTs: claim before the command, store the response after it and before it is
sent (http-api.md).

What is stored (and replayed byte for byte with the same status): every response produced once the command
started executing - 2xx and the 4xx business answers such as 409 `insufficient_stock` or 412 - exactly as
Stripe does. What is NOT stored, so the client may retry with the same key: responses to requests that never
reached the command (401/403, validation errors: the same body fails the same way anyway, and a corrected
body may reuse its key), 5xx (a database outage must not pin an error to the key; K1/K4 expect retries to
succeed) and 409 `concurrency_conflict` (transient by definition). Keys are scoped to the principal.
"""

from __future__ import annotations

from typing import Any, cast

import msgspec
from litestar import Response
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from api.body import BodyTooLargeError, read_body, replay_receive
from api.problems import PROBLEM_JSON, UNAVAILABLE, FieldError, problem, problem_for, send_response
from api.runtime import COMMAND_STARTED, Runtime
from api.security import Principal
from infrastructure.identity import idempotency
from infrastructure.identity.idempotency import MAX_KEY_LENGTH, Claimed, InFlight, Mismatch, Replay

HEADER = b"idempotency-key"


async def _send(send: Send, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    media = "application/json" if status < 400 else PROBLEM_JSON
    await send_response(send, Response(body, status_code=status, media_type=media), headers)


async def _send_problem(send: Send, status: int, code: str, detail: str, **kwargs: Any) -> None:
    await send_response(send, problem(status, code, detail, **kwargs))


def _storable(scope: Scope, status: int, body: bytes) -> bool:
    if not scope.get("state", {}).get(COMMAND_STARTED) or status >= 500:
        return False
    if status == 409:
        try:
            return bool(msgspec.json.decode(body).get("code") != "concurrency_conflict")
        except (msgspec.DecodeError, AttributeError):
            return False
    return True


class IdempotencyMiddleware:
    """Route middleware for command POSTs; without the header the request passes straight through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_key = dict(scope.get("headers", [])).get(HEADER) if scope["type"] == ScopeType.HTTP else None
        user = scope.get("user")
        if raw_key is None or not isinstance(user, Principal):
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            message = f"must be 1–{MAX_KEY_LENGTH} characters"
            await _send_problem(
                send, 422, "validation_error", "bad Idempotency-Key", errors=[FieldError("Idempotency-Key", message)]
            )
            return
        runtime: Runtime = scope["app"].state.runtime
        try:
            body = await read_body(receive, runtime.settings.shopops_max_body_bytes)
        except BodyTooLargeError:
            await _send_problem(send, 413, "payload_too_large", "the request body is too large")
            return
        await self._guarded(cast(HTTPScope, scope), receive, send, runtime, user.username, key, body)

    async def _guarded(
        self, scope: HTTPScope, receive: Receive, send: Send, runtime: Runtime, principal: str, key: str, body: bytes
    ) -> None:
        db = runtime.db
        fingerprint = idempotency.request_hash(scope["method"], scope["path"], body)
        outcome = await idempotency.claim(db, principal, key, scope["method"], scope["path"], fingerprint)
        if isinstance(outcome, Replay):
            await _send(send, outcome.status_code, outcome.body, {"Idempotent-Replayed": "true"})
            return
        if isinstance(outcome, Mismatch):
            detail = "this Idempotency-Key was used with a different request"
            await _send_problem(send, 422, "idempotency_key_reused", detail)
            return
        if isinstance(outcome, InFlight):
            detail = "a request with this Idempotency-Key is still in progress"
            await _send_problem(send, 409, "idempotency_in_flight", detail, headers={"Retry-After": "1"})
            return
        assert isinstance(outcome, Claimed)  # noqa: S101 - exhaustive over the outcome union
        await self._run_and_store(scope, replay_receive(body, receive), send, db, principal, key)

    async def _run_and_store(
        self, scope: Scope, receive: Receive, send: Send, db: Any, principal: str, key: str
    ) -> None:
        status, held = 500, []

        async def hold(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            held.append(message)

        try:
            await self.app(scope, receive, hold)
        except BaseException:
            await idempotency.release(db, principal, key)
            raise
        body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        # Recorded before it is sent: a process killed in between leaves no answer a retry could not replay.
        try:
            if _storable(scope, status, body):
                await idempotency.complete(db, principal, key, status, body)
            else:
                await idempotency.release(db, principal, key)
        except UNAVAILABLE as error:  # the database went away meanwhile: 503, and the retry finds the claim
            await send_response(send, problem_for(error))
            return
        for message in held:
            await send(message)


IDEMPOTENT = [IdempotencyMiddleware]  # route middleware list for command POSTs
