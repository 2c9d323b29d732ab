"""The audit export format: one JSON object per event (who, when, why, data), in log order; and a
streaming file export for `shopops audit export` that never loads the log into memory."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO, Any

import psycopg
from eventsourcing.persistence import StoredEvent

from application.shopops import ShopOps

ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "meta", "originator_topic"})
BATCH = 500


def export_line(app: ShopOps, row: Any) -> tuple[datetime, str]:
    """(recorded time, NDJSON line) for one stored event row (notification_id, originator_id, version,
    topic, state)."""
    notification_id, originator_id, version, topic, state = row
    event: Any = app.mapper.to_domain_event(StoredEvent(originator_id, version, topic, bytes(state)))
    meta: dict[str, Any] = getattr(event, "meta", None) or {}
    record = {
        "position": notification_id,
        "stream_id": str(originator_id),
        "version": version,
        "type": topic,
        "recorded_at": event.timestamp.isoformat(),
        "occurred_at": meta.get("business_time"),
        "actor": meta.get("actor"),
        "correlation_id": meta.get("correlation_id"),
        "causation_id": meta.get("causation_id"),
        "data": {k: v for k, v in vars(event).items() if k not in ENVELOPE},
    }
    return event.timestamp, json.dumps(record, default=str, ensure_ascii=False) + "\n"


def in_window(recorded: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or recorded >= start) and (end is None or recorded < end)


def rows(database_url: str) -> Iterator[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn, conn.cursor(name="audit_export") as cur:
        cur.itersize = BATCH
        cur.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM shopops_events "
            "ORDER BY notification_id"
        )
        yield from cur


def export_to(
    app: ShopOps,
    database_url: str,
    out: IO[str],
    start: datetime | None,
    end: datetime | None,
    progress: Callable[[int], None] | None = None,
) -> int:
    written = 0
    for count, row in enumerate(rows(database_url), start=1):
        recorded, line = export_line(app, row)
        if in_window(recorded, start, end):
            out.write(line)
            written += 1
        if progress and count % 5000 == 0:
            progress(count)
    return written
