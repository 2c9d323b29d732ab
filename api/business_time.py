"""`X-Business-Time`: an integration or admin states when a command happened for the business (backfills,
marketplaces delivering late). It dates the events' `meta.business_time`, which insight reads; never the
recording time, and never the future."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from litestar.exceptions import PermissionDeniedException, ValidationException

MAY_STATE_TIME = frozenset({"admin", "integration"})
CLOCK_SKEW = timedelta(minutes=5)


def stated_business_time(header: str | None, roles: Iterable[str]) -> datetime:
    """Now, or the header's RFC 3339 time: 422 when malformed or in the future, 403 for other roles."""
    now = datetime.now(UTC)
    if not header:
        return now
    if not MAY_STATE_TIME & set(roles):
        raise PermissionDeniedException("only admin and integration may state X-Business-Time")
    try:
        moment = datetime.fromisoformat(header.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationException("X-Business-Time must be an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise ValidationException("X-Business-Time needs a UTC offset")
    if moment > now + CLOCK_SKEW:
        raise ValidationException("X-Business-Time must not be in the future")
    return moment.astimezone(UTC)
