"""The projection machinery: each read model follows the event log in order, writing its rows and its
tracking position in ONE transaction (exactly once in effect), in batches; restart-safe (resumes from its
position) and rebuildable from zero.

It reads the log through the eventsourcing recorder's `select_notifications` (ordered, gap-safe because
inserts lock the events table) rather than `ProjectionRunner`, so that a batch of events shares one
transaction: a rebuild runs at thousands of events per second instead of one commit per event.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from eventsourcing.persistence import Notification
from psycopg import Connection, Cursor
from psycopg_pool import ConnectionPool

from application.shopops import ShopOps
from domain.base import DomainError
from infrastructure.statements import Statement

log = logging.getLogger("shopops.projections")

APP = ShopOps.name
Handler = Callable[[Cursor[Any], Any, int], None]
Pool = ConnectionPool[Connection[Any]]


@dataclass(frozen=True)
class Projection:
    """A read model: its name (tracking table `<name>_tracking`), its tables and its event handlers."""

    name: str
    tables: tuple[str, ...]
    handlers: dict[type, Handler] = field(default_factory=dict)

    every_event: Handler | None = None
    """A handler for every event (an index over the whole log); then no topic filter applies."""

    @property
    def topics(self) -> list[str]:
        """The persisted topics of the events it handles: only these are read and decoded."""
        if self.every_event is not None:
            return []
        return sorted(event_type.TOPIC for event_type in self.handlers)  # type: ignore[attr-defined]

    def on(self, *event_types: type) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                self.handlers[event_type] = handler
            return handler

        return register


@cache
def position_of(projection: str) -> Statement:
    """The statement reading a read model's tracked position (names come from the code, never from input)."""
    return Statement(f"SELECT notification_id FROM {projection}_tracking WHERE application_name = $1")  # noqa: S608


class Projector:
    """Runs one projection: one ordered reader, rows and tracking committed together per batch."""

    def __init__(self, app: ShopOps, pool: Pool, projection: Projection, batch_size: int = 500) -> None:
        self.app = app
        self.pool = pool
        self.projection = projection
        self.batch_size = batch_size
        self._position: int | None = None  # the committed position, cached; None: read it from the table

    def position(self) -> int:
        with self.pool.connection() as conn:
            return int(position_of(self.projection.name).value(conn, APP) or 0)

    def step(self, head: int | None = None) -> int:
        """Project the next batch, up to `head` (default: the log's head); returns how many events it handled.

        Only the projection's own topics are read, but tracking still moves over the events in between:
        up to the last one read when the batch is full, else up to `head`. The head is final when read
        because inserts lock the events table, so ids commit in order. Statements go through a pipeline
        (one round trip per batch instead of one per statement); rows and tracking commit together."""
        start = self._position if self._position is not None else self.position()
        head = (self.app.recorder.max_notification_id() or 0) if head is None else head
        if head <= start:
            self._position = start
            return 0
        notifications = self.app.recorder.select_notifications(
            start, self.batch_size, stop=head, topics=self.projection.topics, inclusive_of_start=False
        )
        end = notifications[-1].id if len(notifications) == self.batch_size else head
        self._position = None  # unknown until the batch commits (another runner may move it)
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            with conn.pipeline():
                for notification in notifications:
                    self._handle(cur, notification)
            self._track(cur, start, end)
        self._position = end
        return len(notifications)

    def _handle(self, cur: Cursor[Any], notification: Notification) -> None:
        event = self.app.mapper.to_domain_event(notification)
        handler = self.projection.handlers.get(type(event), self.projection.every_event)
        if handler is not None:
            handler(cur, event, notification.id)

    def _track(self, cur: Cursor[Any], start: int, end: int) -> None:
        """Advance tracking from `start` to `end`; fails (rolling the batch back) if another runner moved it."""
        table = f"{self.projection.name}_tracking"
        if start == 0:
            cur.execute(
                f"INSERT INTO {table} VALUES (%s, %s) ON CONFLICT (application_name) DO UPDATE "  # noqa: S608
                f"SET notification_id = EXCLUDED.notification_id WHERE {table}.notification_id = 0",
                (APP, end),
            )
        else:
            cur.execute(
                f"UPDATE {table} SET notification_id = %s WHERE application_name = %s AND notification_id = %s",  # noqa: S608
                (end, APP, start),
            )
        if cur.rowcount != 1:
            raise RuntimeError(f"{self.projection.name}: tracking moved concurrently; batch rolled back")

    def catch_up(self, upto: int | None = None, progress: Callable[[int], None] | None = None) -> int:
        """Project everything up to `upto` (default: the log's head now); returns how many events were
        handled. `progress` gets the position reached after each batch."""
        head = (self.app.recorder.max_notification_id() or 0) if upto is None else upto
        done = 0
        while (position := self._position if self._position is not None else self.position()) < head:
            done += self.step(head)
            if progress:
                progress(min(self._position or position, head))
        return done

    def reset(self) -> None:
        """Empty the read model and its tracking (keeping the library's `__migration__` marker)."""
        self._position = None
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(f"TRUNCATE {', '.join(self.projection.tables)}")
            conn.execute(f"DELETE FROM {self.projection.name}_tracking WHERE application_name = %s", (APP,))  # noqa: S608

    def run(
        self, stop: threading.Event, wake: threading.Event | None = None, idle: Callable[[], float] = lambda: 0.05
    ) -> None:
        """Follow the log until `stop`. When caught up it sleeps until `wake` is set (a commit was notified)
        or `idle()` seconds pass. After an error (e.g. a database restart) it logs, drops the
        pool's dead connections, backs off (0.2 s doubling to 5 s) and resumes from its committed position."""
        wake = wake or threading.Event()
        backoff = 0.0
        while not stop.is_set():
            wake.clear()
            try:
                moved = self.step()
            except Exception:  # resume from the committed position after any failure
                backoff = min(5.0, backoff * 2 or 0.2)
                log.exception("projection %s failed; resuming in %.1f s", self.projection.name, backoff)
                self.pool.check()
                stop.wait(backoff)
                continue
            backoff = 0.0
            if moved < self.batch_size:
                wake.wait(idle())


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
