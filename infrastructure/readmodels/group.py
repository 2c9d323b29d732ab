"""Many read models following the log with ONE reader: each notification is read and decoded once and handed
to every projection of the group that follows the log at that point.

Projections at the same tracked position form a cohort and advance together: one read, one decode per event,
one transaction holding every member's rows and every member's tracking update (a compare-and-set from the
cohort's start to its end, as one statement), so a batch is exactly once in effect for all of them. A
projection behind the others (just reset, or new) forms a lower cohort that catches up batch by batch,
interleaved with the leaders' batches, and joins them when it reaches their position.

Reading stays gap-safe: a batch never reads past the log's head as read before it, and ids commit in order
because inserts lock the events table (see eventsourcing-notes.md)."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from eventsourcing.persistence import Notification
from psycopg import Cursor

from application.shopops import ShopOps
from infrastructure.readmodels.base import APP, Handler, Pool, Projection
from infrastructure.statements import Statement

log = logging.getLogger("shopops.projections")


class TrackingMovedError(RuntimeError):
    """Another runner moved a member's position while a batch was being written; the batch rolled back."""


@cache
def _positions_of(names: tuple[str, ...]) -> Statement:
    """One statement reading every member's tracked position (names come from the code, never from input)."""
    return Statement(
        " UNION ALL ".join(
            f"SELECT '{name}' AS name, coalesce((SELECT notification_id FROM {name}_tracking "  # noqa: S608
            f"WHERE application_name = $1), 0) AS position"
            for name in names
        )
    )


@cache
def _advance_tracking(names: tuple[str, ...], from_zero: bool) -> str:
    """One statement moving every member from `start` to `end` (%(app)s, %(start)s, %(end)s); it returns how
    many moved, so a member moved by someone else shows as a short count."""
    parts = []
    for i, name in enumerate(names):
        table = f"{name}_tracking"
        if from_zero:  # a projection at 0 has no row yet (or a reset left none)
            change = (
                f"INSERT INTO {table} VALUES (%(app)s, %(end)s) ON CONFLICT (application_name) DO UPDATE "  # noqa: S608
                f"SET notification_id = EXCLUDED.notification_id WHERE {table}.notification_id = 0 RETURNING 1"
            )
        else:
            change = (
                f"UPDATE {table} SET notification_id = %(end)s "  # noqa: S608
                "WHERE application_name = %(app)s AND notification_id = %(start)s RETURNING 1"
            )
        parts.append(f"t{i} AS ({change})")
    counted = " + ".join(f"(SELECT count(*) FROM t{i})" for i in range(len(names)))  # noqa: S608 - fixed names
    return f"WITH {', '.join(parts)} SELECT {counted}"


class ProjectionGroup:
    """Runs several projections with one ordered reader (see the module docstring)."""

    def __init__(self, app: ShopOps, pool: Pool, projections: Sequence[Projection], batch_size: int = 500) -> None:
        if not projections:
            raise ValueError("a projection group needs at least one projection")
        self.app = app
        self.pool = pool
        self.members = list(projections)
        self.batch_size = batch_size
        self.synchronous_commit = True  # a rebuild turns it off: rows and tracking are lost (or kept) together
        self._positions: dict[str, int] | None = None  # committed positions, cached; None: read them
        self.handled: dict[str, int] = dict.fromkeys((p.name for p in projections), 0)
        """Events each member handled in the batches this group committed (a rebuild reports them)."""

    # ---- positions ----------------------------------------------------------------------------------

    def positions(self) -> dict[str, int]:
        """Every member's committed position, read from its tracking table."""
        statement = _positions_of(tuple(p.name for p in self.members))
        with self.pool.connection() as conn:
            return {r["name"]: int(r["position"]) for r in statement.rows(conn, APP)}

    def _known_positions(self) -> dict[str, int]:
        if self._positions is None:
            self._positions = self.positions()
        return dict(self._positions)

    def position(self) -> int:
        """How far the whole group is: the lowest member's position."""
        return min(self._known_positions().values())

    # ---- following the log --------------------------------------------------------------------------

    def step(self, head: int | None = None) -> int:
        """One batch for the leading cohort up to `head` (default: the log's head now) and, when some members
        are behind, one batch for the lowest of them up to the next cohort's position. Returns how many
        events were read."""
        head = (self.app.recorder.max_notification_id() or 0) if head is None else head
        positions = self._known_positions()
        lead = max(positions.values())
        handled = 0
        if min(positions.values()) < lead:
            lowest = min(positions.values())
            target = min(p for p in positions.values() if p > lowest)
            handled += self._advance([m for m in self.members if positions[m.name] == lowest], lowest, target)
            positions = self._known_positions()
            lead = max(positions.values())
        if lead < head:
            handled += self._advance([m for m in self.members if positions[m.name] == lead], lead, head)
        return handled

    def catch_up(self, upto: int | None = None, progress: Callable[[int], None] | None = None) -> int:
        """Project everything up to `upto` (default: the log's head now); returns how many events were read.
        `progress` gets the group's position after each batch."""
        head = (self.app.recorder.max_notification_id() or 0) if upto is None else upto
        done = 0
        while self.position() < head:
            done += self.step(head)
            if progress:
                progress(min(self.position(), head))
        return done

    def _advance(self, cohort: list[Projection], start: int, stop: int) -> int:
        """Read the cohort's next batch once, hand each event to every member, and commit their rows with
        their tracking moved from `start` to the batch's end."""
        topics = _topics(cohort)
        notifications = self.app.recorder.select_notifications(
            start, self.batch_size, stop=stop, topics=topics, inclusive_of_start=False
        )
        end = notifications[-1].id if len(notifications) == self.batch_size else stop
        names = tuple(m.name for m in cohort)
        known = self._known_positions()
        self._positions = None  # unknown until the batch commits (another runner may move it)
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if not self.synchronous_commit:
                cur.execute("SET LOCAL synchronous_commit = off")
            with conn.pipeline():
                kinds = self._handle(cur, cohort, notifications)
            cur.execute(_advance_tracking(names, start == 0), {"app": APP, "start": start, "end": end})
            row = cur.fetchone()
            if row is None or row[0] != len(names):
                raise TrackingMovedError(f"{', '.join(names)}: tracking moved concurrently; batch rolled back")
        self._positions = known | dict.fromkeys(names, end)
        for member in cohort:
            self.handled[member.name] += sum(n for kind, n in kinds.items() if _handles(member, kind))
        return len(notifications)

    def _handle(
        self, cur: Cursor[Any], cohort: list[Projection], notifications: Sequence[Notification]
    ) -> Counter[type]:
        """Decode each notification once and run every member's handler for it (and each whole-log index once
        for the batch); returns the event types seen."""
        decode = self.app.mapper.to_domain_event
        routes: dict[type, list[Handler]] = {}
        kinds: Counter[type] = Counter()
        indexes = [m.every_batch for m in cohort if m.every_batch is not None]
        batch: list[tuple[Any, int]] = []
        for notification in notifications:
            event = decode(notification)
            kind = type(event)
            kinds[kind] += 1
            if indexes:
                batch.append((event, notification.id))
            handlers = routes.get(kind)
            if handlers is None:
                handlers = routes[kind] = [h for m in cohort if (h := m.handlers.get(kind)) is not None]
            for handler in handlers:
                handler(cur, event, notification.id)
        for index in indexes:
            index(cur, batch)
        return kinds

    def reset(self) -> None:
        """Empty every member's read model and tracking (keeping the library's `__migration__` marker)."""
        self._positions = None
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(f"TRUNCATE {', '.join(t for m in self.members for t in m.tables)}")
            for member in self.members:
                conn.execute(f"DELETE FROM {member.name}_tracking WHERE application_name = %s", (APP,))  # noqa: S608

    def run(
        self, stop: threading.Event, wake: threading.Event | None = None, idle: Callable[[], float] = lambda: 0.05
    ) -> None:
        """Follow the log until `stop`. When caught up it sleeps until `wake` is set (a commit was notified)
        or `idle()` seconds pass. After an error (e.g. a database restart) it logs, drops the pool's dead
        connections, backs off (0.2 s doubling to 5 s) and resumes from the committed positions."""
        wake = wake or threading.Event()
        backoff = 0.0
        while not stop.is_set():
            wake.clear()
            try:
                moved = self.step()
                behind = len(set(self._known_positions().values())) > 1
            except Exception:  # resume from the committed positions after any failure
                self._positions = None
                backoff = min(5.0, backoff * 2 or 0.2)
                log.exception("projections %s failed; resuming in %.1f s", self.names, backoff)
                self.pool.check()
                stop.wait(backoff)
                continue
            backoff = 0.0
            if moved < self.batch_size and not behind:
                wake.wait(idle())

    @property
    def names(self) -> str:
        return ", ".join(m.name for m in self.members)


def _topics(cohort: list[Projection]) -> list[str]:
    """The persisted topics any member handles; none (read everything) when one indexes every event."""
    if any(m.every_batch is not None for m in cohort):
        return []
    return sorted({topic for m in cohort for topic in m.topics})


def _handles(member: Projection, event_type: type) -> bool:
    return member.every_batch is not None or event_type in member.handlers


class Projector(ProjectionGroup):
    """One projection alone: a group of one (tests and single read-model tools use it)."""

    def __init__(self, app: ShopOps, pool: Pool, projection: Projection, batch_size: int = 500) -> None:
        super().__init__(app, pool, [projection], batch_size)
        self.projection = projection
