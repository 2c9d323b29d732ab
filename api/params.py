"""Path and query parameters shared by the controllers, with their limits (S5: list limits are capped)."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import asyncpg
from litestar import Response
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter, QueryParameter

from api.runtime import Commands, etag
from api.views import from_row

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"

Sku = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=CODE_PATTERN, description="SKU")]
WarehouseCode = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=CODE_PATTERN)]
AgentCode = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=CODE_PATTERN)]
Limit = Annotated[int, QueryParameter(ge=1, le=500, description="page size (max 500)")]
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"  # text that PostgreSQL can store and compare: no NUL, no control characters
Cursor = Annotated[
    str | None, QueryParameter(max_length=512, pattern=NO_CONTROL, description="next_cursor of the previous page")
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
