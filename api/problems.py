"""Every error as RFC 9457 `application/problem+json`; the one place that maps domain errors to HTTP.

Clients branch on `status` and on the stable `code` extension (also the last segment of `type`); `detail` is
for humans. Unexpected exceptions are logged with their traceback and answered with a generic 500 that never
carries one; a database that cannot be reached answers 503 with `Retry-After` so clients back off and retry.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import asyncpg
import msgspec
import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Send

from application.errors import ConcurrencyError, NotFoundError, VersionMismatchError
from domain.base import DomainError, InsufficientStockError, InvalidTransitionError
from domain.refund import FourEyesError

log = logging.getLogger("shopops.api")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://shopops.invalid/problems/"

# Domain errors by HTTP status; the most specific class wins (checked in this order).
DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (VersionMismatchError, 412),
    (FourEyesError, 403),  # money: the requester of a refund may not approve it
    (ConcurrencyError, 409),
    (InsufficientStockError, 409),
    (InvalidTransitionError, 409),
    (NotFoundError, 404),
    (DomainError, 422),  # unknown references, invalid quantities and every other broken rule: bad input
)
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "version_mismatch",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}
UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,  # the psycopg pools outside the event store (personal-data vault), incl. PoolTimeout
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    ConnectionError,
    TimeoutError,
)
_LOCATION = re.compile(r" - at `\$(?P<path>[^`]*)`")
_UNKNOWN_FIELD = re.compile(r"unknown field `(?P<name>[^`]*)`")


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    """The problem document (RFC 9457) with two extensions: `code` and, for validation, `errors`."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = None


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    """Build a problem response; the body is encoded here so stored replays are byte-identical."""
    body = Problem(TYPE_BASE + code, HTTPStatus(status).phrase, status, detail, code, errors)
    return Response(msgspec.json.encode(body), status_code=status, media_type=PROBLEM_JSON, headers=headers or {})


def field_errors(messages: list[str], key: str = "") -> list[FieldError]:
    """Turn msgspec messages ("Expected `int`, got `str` - at `$.lines[0].quantity`") into field errors."""
    errors = []
    for message in messages:
        located = _LOCATION.search(message)
        unknown = _UNKNOWN_FIELD.search(message)
        path = located.group("path").lstrip(".") if located else ""
        path = ".".join(p for p in (path, unknown.group("name") if unknown else "") if p)
        field = ".".join(p for p in ("" if key == "data" and path else key, path) if p)
        errors.append(FieldError(field or "body", _LOCATION.sub("", message)))
    return errors


def _validation_errors(exc: ValidationException) -> list[FieldError]:
    """Litestar reports `{message, key, source}` per failing parameter (`data` is the whole body)."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = [
        error
        for item in extra
        if isinstance(item, dict)
        for error in field_errors([str(item.get("message", "invalid value"))], str(item.get("key") or ""))
    ]
    return errors or [FieldError("body", exc.detail)]


def _from_http(exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    headers = dict(exc.headers or {})
    if isinstance(exc, ValidationException):
        malformed = "malformed" in str(exc.extra).lower() or "malformed" in exc.detail.lower()
        status = 400 if malformed else 422
        return problem(status, "validation_error", "the request is not valid", errors=_validation_errors(exc))
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="shopops"')
    code = HTTP_CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
    detail = exc.detail if status < 500 or status == 503 else HTTPStatus(status).description
    return problem(status, code, detail, headers=headers)


def from_domain(exc: DomainError) -> Response[bytes]:
    status = next(status for kind, status in DOMAIN_STATUS if isinstance(exc, kind))
    headers = {"Retry-After": "1"} if isinstance(exc, ConcurrencyError) else None
    return problem(status, exc.code, str(exc) or exc.code, headers=headers)


def problem_for(exc: Exception) -> Response[bytes]:
    """The problem response for any exception (also used outside the handler, e.g. by the idempotency layer)."""
    if isinstance(exc, HTTPException):
        return _from_http(exc)
    if isinstance(exc, DomainError):
        return from_domain(exc)
    if isinstance(exc, UNAVAILABLE):
        log.warning("database unavailable: %s", exc)
        return problem(503, "unavailable", "the database is unavailable; retry shortly", headers={"Retry-After": "2"})
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "internal_error", "an unexpected error occurred; it has been logged")


async def send_response(send: Send, response: Response[bytes], extra: dict[str, str] | None = None) -> None:
    """Send a prepared (bytes) response straight over ASGI, for middleware that answers by itself."""
    headers = {**dict(response.headers), **(extra or {})}
    body = response.content
    raw = [(b"content-type", (response.media_type or PROBLEM_JSON).encode()), (b"content-length", b"%d" % len(body))]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send(HTTPResponseStartEvent(type="http.response.start", status=response.status_code or 200, headers=raw))
    await send(HTTPResponseBodyEvent(type="http.response.body", body=body, more_body=False))


def handle_exception(_: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Litestar exception handler registered for every exception class."""
    return problem_for(exc)
