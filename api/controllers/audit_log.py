"""Audit over the whole log (admin, auditor): tamper-evidence verification and a streamed NDJSON export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Stream
from psycopg_pool import ConnectionPool

from api.roles import AUDIT_READ
from api.runtime import runtime_of
from api.views import Out
from infrastructure.audit.chain import AuditChain, SigningKey
from infrastructure.audit.export import export_line, in_window

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
    lines = (export_line(app, tuple(row)) for row in rows)
    return [line.encode() for recorded, line in lines if in_window(recorded, start, end)]
