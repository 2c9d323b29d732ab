"""Read model `audit_timeline`: when each version of each stream was recorded (the time → version index)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor

from infrastructure.readmodels.base import Projection


def indexed(cur: Cursor[Any], batch: list[tuple[Any, int]]) -> None:
    """The whole batch in one statement (one row per event)."""
    if batch:
        cur.execute(
            "INSERT INTO audit_timeline SELECT * FROM unnest(%s::uuid[], %s::int[], %s::timestamptz[], %s::bigint[])",
            tuple(
                map(
                    list, zip(*((e.originator_id, e.originator_version, e.timestamp, p) for e, p in batch), strict=True)
                )
            ),
        )


projection = Projection("audit_timeline", ("audit_timeline",), every_batch=indexed)


async def version_at(db: Any, stream_id: UUID, at: datetime) -> tuple[int | None, bool]:
    """(the stream's version current at `at`, whether the index is complete up to `at`). The index is
    complete when it has seen the whole log, or has seen an event recorded after `at`."""
    row = await db.fetchrow(
        "SELECT (SELECT max(version) FROM audit_timeline WHERE stream_id = $1 AND recorded_at <= $2) AS version, "
        "(SELECT coalesce(notification_id, 0) FROM audit_timeline_tracking WHERE application_name = 'shopops') "
        ">= (SELECT coalesce(max(notification_id), 0) FROM shopops_events) "
        "OR EXISTS (SELECT 1 FROM audit_timeline WHERE recorded_at > $2) AS complete",
        stream_id,
        at,
    )
    return row["version"], bool(row["complete"])
