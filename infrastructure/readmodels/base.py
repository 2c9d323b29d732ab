"""What a read model is: a `Projection` (its name, tables and event handlers), with the helpers its queries
share (keyset cursors, money). `group.py` runs projections: each follows the event log in order, writing its
rows and its tracking position in ONE transaction (exactly once in effect), in batches; restart-safe and
rebuildable from zero."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from psycopg import Connection, Cursor
from psycopg_pool import ConnectionPool

from application.shopops import ShopOps
from domain.base import DomainError
from infrastructure.statements import Statement

APP = ShopOps.name
Handler = Callable[[Cursor[Any], Any, int], None]
BatchHandler = Callable[[Cursor[Any], list[tuple[Any, int]]], None]
Pool = ConnectionPool[Connection[Any]]


@dataclass(frozen=True)
class Projection:
    """A read model: its name (tracking table `<name>_tracking`), its tables and its event handlers."""

    name: str
    tables: tuple[str, ...]
    handlers: dict[type, Handler] = field(default_factory=dict)

    every_batch: BatchHandler | None = None
    """For an index over the whole log: called once per batch with every (event, position) of it, in order,
    so it can write the batch's rows in one statement; then no topic filter applies."""

    @property
    def topics(self) -> list[str]:
        """The persisted topics of the events it handles: only these are read and decoded."""
        if self.every_batch is not None:
            return []
        return sorted(event_type.TOPIC for event_type in self.handlers)  # type: ignore[attr-defined]

    def on(self, *event_types: type) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                self.handlers[event_type] = handler
            return handler

        return register


def query(cur: Cursor[Any], sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of a read inside a handler. Handlers share one cursor in pipeline mode, where the results of
    statements queued earlier can land on that cursor while a read waits for its own; a cursor of its own
    gets only its own result."""
    with cur.connection.cursor() as own:
        own.execute(sql, params)
        return own.fetchall()


@cache
def position_of(projection: str) -> Statement:
    """The statement reading a read model's tracked position (names come from the code, never from input)."""
    return Statement(f"SELECT notification_id FROM {projection}_tracking WHERE application_name = $1")  # noqa: S608


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([str(v) for v in values]).encode()).decode()


def decode_cursor(cursor: str | None, parts: int) -> list[str] | None:
    """The keyset position a client passes back; a malformed cursor raises DomainError (4xx at the API)."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as error:
        raise DomainError("invalid cursor") from error
    if not isinstance(values, list) or len(values) != parts:
        raise DomainError("invalid cursor")
    return [str(v) for v in values]


def next_cursor(rows: list[dict[str, Any]], limit: int, *keys: str) -> str | None:
    if len(rows) < limit or not rows:
        return None
    return encode_cursor(*(rows[-1][k] for k in keys))


def money(amount: Any, currency: str) -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currency": currency}
