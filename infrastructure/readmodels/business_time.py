"""The business time of an event: when it happened for the business (its meta), not when it was recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def business_time(event: Any) -> datetime:
    """The event's `meta.business_time` in UTC; the recording time for events without one."""
    meta = getattr(event, "meta", None) or {}
    stamp = meta.get("business_time")
    moment: datetime = datetime.fromisoformat(stamp) if stamp else event.timestamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
