"""Operators' view of background work: the job ledger (parked jobs can be retried) and replenishments."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody

from api.idempotency import IDEMPOTENT
from api.params import DEFAULT_LIMIT, Cmds, Cursor, Db, Filter, Limit
from api.roles import JOBS_ADMIN, REPLENISHMENT_READ, REPLENISHMENT_WRITE
from api.schemas import ReasonIn, ReplenishmentOrderIn, ReplenishmentReceiptIn
from api.views import Out, Page, page
from infrastructure.jobs import ledger as job_queries
from infrastructure.readmodels import stock_levels


class JobOut(Out, kw_only=True):
    id: int
    kind: str
    key: str
    status: str
    attempts: int
    max_attempts: int
    last_error: str | None
    created_at: str
    updated_at: str
    done_at: str | None


class ReplenishmentOut(Out, kw_only=True):
    id: UUID
    sku: str
    warehouse: str
    quantity: int
    kind: str
    source_warehouse: str | None
    reason: str
    status: str
    decision: dict[str, Any] | None = None
    version: int
    position: int | None = None


def _replenishment(result: Any) -> ReplenishmentOut:
    r = result.aggregate
    return ReplenishmentOut(
        id=r.id,
        sku=r.sku,
        warehouse=r.warehouse,
        quantity=r.quantity,
        kind=r.kind,
        source_warehouse=r.source_warehouse,
        reason=r.reason,
        status=r.status,
        decision=r.decision,
        version=r.version,
        position=result.position,
    )


class JobController(Controller):
    path = "/jobs"
    tags = ("operations",)

    @get("/", guards=[JOBS_ADMIN])
    async def list_jobs(
        self, db: Db, status: Filter = None, kind: Filter = None, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Page[JobOut]:
        """The job ledger, newest first; `?status=parked` lists what needs an operator."""
        return page(await job_queries.list_jobs(db, status=status, kind=kind, limit=limit, cursor=cursor), JobOut)

    @post("/{job_id:str}/retry", guards=[JOBS_ADMIN], status_code=200)
    async def retry(self, job_id: FromPath[str], db: Db) -> JobOut:
        """Give a parked job a fresh set of attempts (404 unless it is parked)."""
        job = await job_queries.retry_job(db, int(job_id)) if job_id.isdigit() and len(job_id) < 19 else None
        if job is None:
            raise NotFoundException(f"no parked job {job_id}")
        return JobOut(**job)


class ReplenishmentController(Controller):
    path = "/replenishments"
    tags = ("replenishment",)

    @get("/", guards=[REPLENISHMENT_READ])
    async def list_replenishments(
        self, db: Db, status: Filter = None, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Page[ReplenishmentOut]:
        rows = await stock_levels.list_replenishments(db, status=status, limit=limit, cursor=cursor)
        return page(rows, ReplenishmentOut)

    @post("/{replenishment_id:uuid}/order", guards=[REPLENISHMENT_WRITE], middleware=IDEMPOTENT, status_code=200)
    async def order(
        self, replenishment_id: FromPath[UUID], data: JSONBody[ReplenishmentOrderIn], commands: Cmds
    ) -> ReplenishmentOut:
        """Purchase ordered from the supplier; a transfer suggestion is dispatched from its donor warehouse."""
        result = await commands.run(commands.app.order_replenishment, replenishment_id, data.supplier_reference)
        return _replenishment(result)

    @post("/{replenishment_id:uuid}/receive", guards=[REPLENISHMENT_WRITE], middleware=IDEMPOTENT, status_code=200)
    async def receive(
        self, replenishment_id: FromPath[UUID], data: JSONBody[ReplenishmentReceiptIn], commands: Cmds
    ) -> ReplenishmentOut:
        """Goods arrived: stock rises by the quantity received (default: what was ordered)."""
        result = await commands.run(commands.app.receive_replenishment, replenishment_id, data.quantity)
        return _replenishment(result)

    @post("/{replenishment_id:uuid}/cancel", guards=[REPLENISHMENT_WRITE], middleware=IDEMPOTENT, status_code=200)
    async def cancel(
        self, replenishment_id: FromPath[UUID], data: JSONBody[ReasonIn], commands: Cmds
    ) -> ReplenishmentOut:
        result = await commands.run(commands.app.cancel_replenishment, replenishment_id, data.reason)
        return _replenishment(result)
