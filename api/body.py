"""Request bodies at the ASGI level: size-limited reading, replaying to the app, and strict JSON validation.

Litestar converts bodies leniently (`"5"` becomes `5`), which suits query strings but not JSON, where a
string quantity is a client bug. `strict_body` decodes the body strictly against the handler's `data`
type first, so a wrong JSON type is a 422 problem naming the field and nothing runs.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.types import HTTPRequestEvent, Receive, ReceiveMessage


class BodyTooLargeError(Exception):
    pass


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay_receive(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the already-read body to the app, then defers to the real one."""
    sent = False

    async def replayed() -> ReceiveMessage:
        nonlocal sent
        if not sent:
            sent = True
            return HTTPRequestEvent(type="http.request", body=body, more_body=False)
        return await receive()

    return replayed


async def strict_body(request: Request[Any, Any, Any]) -> None:
    """`before_request` hook (runs after the guards, before Litestar's lenient conversion): a body that does
    not decode strictly as the handler's `data` type is a 422 naming the fields. Malformed JSON and empty
    bodies are left to Litestar (400, or the handler's default)."""
    field = request.route_handler.parsed_data_field
    if field is None:
        return
    body = await request.body()  # cached for the handler; honours request_max_body_size (413)
    if not body.strip():
        return
    try:
        msgspec.json.decode(body, type=field.annotation, strict=True)
    except msgspec.ValidationError as error:
        raise ValidationException("the request is not valid", extra=[{"message": str(error), "key": "data"}]) from None
    except msgspec.DecodeError:
        return
