"""The audit export format: one JSON object per event (who, when, why, data), in log order; and a
streaming file export for `shopops audit export` that never loads the log into memory."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO, Any

from eventsourcing.persistence import StoredEvent
from psycopg import Connection
from psycopg_pool import ConnectionPool

from application.shopops import ShopOps
from infrastructure.statements import Statement

Pool = ConnectionPool[Connection[Any]]
COLUMNS = ("notification_id", "originator_id", "originator_version", "topic", "state")

ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "meta", "originator_topic"})
BATCH = 500


def audit_record(app: ShopOps, position: int, stream_id: Any, version: int, topic: str, state: bytes) -> dict[str, Any]:
    """One stored event as compliance sees it (who, when, why, data): the API's audit log and the export."""
    event: Any = app.mapper.to_domain_event(StoredEvent(stream_id, version, topic, bytes(state)))
    meta: dict[str, Any] = getattr(event, "meta", None) or {}
    return {
        "position": position,
        "stream_id": str(stream_id),
        "version": version,
        "type": topic,
        "recorded_at": event.timestamp,
        "occurred_at": meta.get("business_time"),
        "actor": meta.get("actor"),
        "correlation_id": meta.get("correlation_id"),
        "causation_id": meta.get("causation_id"),
        "data": {k: v for k, v in vars(event).items() if k not in ENVELOPE},
    }


def export_line(app: ShopOps, row: Any) -> tuple[datetime, str]:
    """(recorded time, NDJSON line) for one stored event row (notification_id, originator_id, version,
    topic, state)."""
    record = audit_record(app, *row)
    recorded: datetime = record["recorded_at"]
    record["recorded_at"] = recorded.isoformat()
    return recorded, json.dumps(record, default=str, ensure_ascii=False) + "\n"


def in_window(recorded: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or recorded >= start) and (end is None or recorded < end)


# Keyset batches in log order: the same statement serves the CLI's file export and the API's stream.
EVENTS_AFTER = Statement(
    "SELECT notification_id, originator_id, originator_version, topic, state FROM shopops_events "
    "WHERE notification_id > $1 ORDER BY notification_id LIMIT $2"
)


def encode_batch(app: ShopOps, rows: list[Any], start: datetime | None, end: datetime | None) -> list[str]:
    """The export lines of a batch of stored rows that were recorded within [start, end)."""
    lines = (export_line(app, tuple(row[k] for k in COLUMNS)) for row in rows)
    return [line for recorded, line in lines if in_window(recorded, start, end)]


def rows(pool: Pool) -> Iterator[dict[str, Any]]:
    position = 0
    while True:
        with pool.connection() as conn:
            batch = EVENTS_AFTER.rows(conn, position, BATCH)
        if not batch:
            return
        position = batch[-1]["notification_id"]
        yield from batch


def export_to(
    app: ShopOps,
    pool: Pool,
    out: IO[str],
    start: datetime | None,
    end: datetime | None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the export of [start, end) to `out`; returns the number of events written."""
    written = 0
    for count, row in enumerate(rows(pool), start=1):
        for line in encode_batch(app, [row], start, end):
            out.write(line)
            written += 1
        if progress and count % 5000 == 0:
            progress(count)
    return written
