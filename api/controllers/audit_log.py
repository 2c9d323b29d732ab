"""Audit over the whole log (admin, auditor): tamper-evidence verification and a streamed NDJSON export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Stream

from api.roles import AUDIT_READ
from api.runtime import runtime_of
from api.views import Out
from infrastructure.audit.chain import AuditChain, SigningKey
from infrastructure.audit.export import BATCH, EVENTS_AFTER, encode_batch


class VerifyOut(Out, kw_only=True):
    ok: bool
    checked: int
    first_bad_position: int | None
    reason: str | None = None


def _chain(request: Request[Any, Any, Any]) -> AuditChain:
    """One verifier per process, on the process's own pool (from the composition root)."""
    state = request.app.state
    if getattr(state, "audit_chain", None) is None:
        runtime = runtime_of(request)
        settings = runtime.settings
        key = SigningKey.load(settings.shopops_audit_key) if settings.shopops_audit_key else None
        state.audit_chain = AuditChain(runtime.container.pool, key, settings.shopops_audit_checkpoint_every)
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
                rows = await EVENTS_AFTER.fetch(runtime.db, position, BATCH)
                if not rows:
                    return
                position = rows[-1]["notification_id"]
                for line in await runtime.call(encode_batch, runtime.app, rows, from_, to):
                    yield line.encode()

        return Stream(lines(), media_type="application/x-ndjson")
