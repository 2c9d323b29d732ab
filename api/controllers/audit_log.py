"""Audit over the whole log (admin, auditor): tamper-evidence verification and a streamed NDJSON export."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from eventsourcing.persistence import StoredEvent
from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Stream
from psycopg_pool import ConnectionPool

from api.controllers.audit import EVENT_ENVELOPE
from api.roles import AUDIT_READ
from api.runtime import runtime_of
from api.views import Out
from infrastructure.audit_chain import AuditChain, SigningKey

BATCH = 500


class VerifyOut(Out, kw_only=True):
    ok: bool
    checked: int
    first_bad_position: int | None
    reason: str | None = None


def _chain(request: Request[Any, Any, Any]) -> AuditChain:
    """One verifier per process (its small pool is created on first use)."""
    state = request.app.state
    if getattr(state, "audit_chain", None) is None:
        settings = runtime_of(request).settings
        key = SigningKey.load(settings.shopops_audit_key) if settings.shopops_audit_key else None
        pool: ConnectionPool[Any] = ConnectionPool(settings.require_database_url(), min_size=1, max_size=1, open=True)
        state.audit_chain = AuditChain(pool, key, settings.shopops_audit_checkpoint_every)
    chain: AuditChain = state.audit_chain
    return chain


def _line(app: Any, row: Any) -> tuple[datetime, bytes]:
    event = app.mapper.to_domain_event(
        StoredEvent(row["originator_id"], row["originator_version"], row["topic"], bytes(row["state"]))
    )
    meta: dict[str, Any] = getattr(event, "meta", None) or {}
    record = {
        "position": row["notification_id"],
        "stream_id": str(row["originator_id"]),
        "version": row["originator_version"],
        "type": row["topic"],
        "recorded_at": event.timestamp.isoformat(),
        "occurred_at": meta.get("business_time"),
        "actor": meta.get("actor"),
        "correlation_id": meta.get("correlation_id"),
        "causation_id": meta.get("causation_id"),
        "data": {k: v for k, v in vars(event).items() if k not in EVENT_ENVELOPE},
    }
    return event.timestamp, (json.dumps(record, default=str, ensure_ascii=False) + "\n").encode()


class AuditLogController(Controller):
    path = "/audit"
    tags = ("audit",)

    @get("/verify", guards=[AUDIT_READ])
    async def verify(self, request: Request[Any, Any, Any]) -> VerifyOut:
        """Recompute the hash chain over the chained log and check the signed checkpoints. Events after
        the chain's tip (written in the last second or so) are not judged yet."""
        runtime = runtime_of(request)
        result = await runtime.call(_chain(request).verify)
        return VerifyOut(**result)

    @get("/export", guards=[AUDIT_READ], media_type="application/x-ndjson")
    async def export(
        self,
        request: Request[Any, Any, Any],
        from_: Annotated[datetime | None, QueryParameter(query="from", description="recorded at or after")] = None,
        to: Annotated[datetime | None, QueryParameter(description="recorded before")] = None,
    ) -> Stream:
        """Every event (who, when, why, data) recorded in [from, to), one JSON object per line, in log
        order; streamed in batches, never loading the log into memory."""
        runtime = runtime_of(request)

        async def lines() -> AsyncIterator[bytes]:
            position = 0
            while True:
                rows = await runtime.db.fetch(
                    "SELECT notification_id, originator_id, originator_version, topic, state FROM shopops_events "
                    "WHERE notification_id > $1 ORDER BY notification_id LIMIT $2",
                    position,
                    BATCH,
                )
                if not rows:
                    return
                position = rows[-1]["notification_id"]
                for chunk in await runtime.call(_encode_batch, runtime.app, rows, from_, to):
                    yield chunk

        return Stream(lines(), media_type="application/x-ndjson")


def _encode_batch(app: Any, rows: list[Any], start: datetime | None, end: datetime | None) -> list[bytes]:
    out = []
    for row in rows:
        recorded, line = _line(app, row)
        if (start is None or recorded >= start) and (end is None or recorded < end):
            out.append(line)
    return out
