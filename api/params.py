"""Path and query parameters shared by the controllers, with their limits (S5: list limits are capped)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.constants import RESERVED_KWARGS
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import ParameterKwarg, PathParameter, QueryParameter

from api.runtime import Commands, etag
from api.views import from_row

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"

Sku = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=CODE_PATTERN, description="SKU")]
WarehouseCode = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=CODE_PATTERN)]
AgentCode = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=CODE_PATTERN)]
Limit = Annotated[int, QueryParameter(ge=1, le=500, description="page size (max 500)")]
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"  # text that PostgreSQL can store and compare: no NUL, no control characters
CURSOR_PATTERN = r"^[A-Za-z0-9_=-]*$"  # what `next_cursor` is made of (URL-safe base64, or a number)
Cursor = Annotated[
    str | None, QueryParameter(max_length=512, pattern=CURSOR_PATTERN, description="next_cursor of the previous page")
]
Filter = Annotated[str | None, QueryParameter(min_length=1, max_length=200, pattern=NO_CONTROL)]

# Dependencies provided by the /api/v1 router (see api.app).
Db = NamedDependency[asyncpg.Pool]
Cmds = NamedDependency[Commands]
IfMatch = NamedDependency[int | None]

DEFAULT_LIMIT = 50
T = TypeVar("T")


def found(row: dict[str, Any] | None, kind: type[T], what: str) -> Response[T]:
    """A read-model row as a response with its `ETag`, or 404 when the read model has no such record."""
    if row is None:
        raise NotFoundException(f"{what} not found")
    return Response(from_row(row, kind), headers=etag(int(row["version"])) if "version" in row else {})


_INTEGER = re.compile(r"^[+-]?[0-9]+$")
# query types Litestar converts leniently: "0.5" is a datetime, "1e2" an int, "null" a missing UUID
STRICT = (datetime, date, int, UUID)


def _kinds(annotation: Any) -> Iterator[Any]:
    yield annotation
    for argument in getattr(annotation, "__args__", ()) or ():
        yield from _kinds(argument)


def _query_fields(handler: HTTPRouteHandler) -> Iterator[tuple[str, Any]]:
    """(name in the URL, annotation) of every query parameter of the handler and its dependencies."""
    providers = handler.resolve_dependencies()
    signatures = [handler.parsed_fn_signature, *(p.parsed_fn_signature for p in providers.values())]
    for signature in signatures:
        for name, field in signature.parameters.items():
            kwarg = field.kwarg_definition
            if name in RESERVED_KWARGS or name in providers or field.is_di_field:
                continue
            if isinstance(kwarg, ParameterKwarg) and (kwarg.header or kwarg.cookie):
                continue
            yield getattr(kwarg, "query", None) or getattr(kwarg, "name", None) or name, field.annotation


@functools.cache
def single_valued_queries(handler: HTTPRouteHandler) -> frozenset[str]:
    """Query parameters that take one value (not a list): given twice, the request is malformed."""
    return frozenset(
        name
        for name, annotation in _query_fields(handler)
        if not any(getattr(k, "__origin__", k) in (list, tuple, set, frozenset) for k in _kinds(annotation))
    )


@functools.cache
def strict_queries(handler: HTTPRouteHandler) -> tuple[tuple[str, type], ...]:
    """The handler's (and its dependencies') query parameters of a `STRICT` type, by their name in the URL."""
    found = []
    for name, annotation in _query_fields(handler):
        kind = next((k for k in _kinds(annotation) if k in STRICT), None)
        if kind is not None:
            found.append((name, kind))
    return tuple(found)


def _malformed(raw: str, kind: type) -> str | None:
    if kind is int:
        return None if _INTEGER.match(raw) else "Expected an integer"
    if kind is UUID:
        try:
            UUID(raw)
        except ValueError:
            return "Expected a UUID"
        return None
    try:
        msgspec.convert(raw, kind, strict=True)
    except msgspec.ValidationError:
        return "Expected an RFC 3339 " + ("date-time" if kind is datetime else "date")
    return None


def strict_query(request: Request[Any, Any, Any]) -> None:
    """422 naming the parameters whose value is not written as its type is (`?to=0.5`, `?limit=1e2`)."""
    errors = [
        {"message": message, "key": name}
        for name, kind in strict_queries(request.route_handler)
        if name not in request.path_params
        for raw in request.query_params.getall(name, [])
        if (message := _malformed(raw, kind)) is not None
    ]
    single = single_valued_queries(request.route_handler)
    errors += [
        {"message": "Expected one value, got several", "key": name}
        for name in sorted(set(request.query_params.keys()) & single)
        if name not in request.path_params and len(request.query_params.getall(name, [])) > 1
    ]
    if errors:
        raise ValidationException("the request is not valid", extra=errors)
