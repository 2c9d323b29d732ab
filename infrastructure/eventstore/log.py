"""The few raw event-store queries the API reads without the application.

The audit endpoints need each event's notification id (its position in the global log), which the
eventsourcing repository does not expose per stream, so they read the stored rows here and let the
application's mapper decode them (keeping any cipher or compression configuration in one place).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class StoredRecord:
    """One stored event of a stream, as recorded (state still encoded)."""

    position: int
    version: int
    topic: str
    state: bytes


async def log_position(db: Any) -> int:
    """The newest notification id in the event log (0 when empty)."""
    value = await db.fetchval("SELECT coalesce(max(notification_id), 0) FROM shopops_events")
    return int(value)


async def stream_records(
    db: Any, stream_id: UUID, after_version: int = 0, limit: int | None = None
) -> list[StoredRecord]:
    """A stream's events in version order, after `after_version`, at most `limit` of them."""
    rows = await db.fetch(
        """
        SELECT notification_id, originator_version, topic, state FROM shopops_events
         WHERE originator_id = $1 AND originator_version > $2
         ORDER BY originator_version
         LIMIT $3
        """,
        stream_id,
        after_version,
        limit,
    )
    return [StoredRecord(r["notification_id"], r["originator_version"], r["topic"], bytes(r["state"])) for r in rows]
