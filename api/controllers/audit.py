"""Audit (admin, auditor): a stream's events with who/why/when, and a record's state at a version or a time.

Answers come from the event store itself, not from read models: an audit must show what was recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery, QueryParameter

from api.params import DEFAULT_LIMIT, Cursor, Db, Limit
from api.roles import AUDIT_READ
from api.runtime import Runtime, runtime_of
from api.views import Out, Page
from application.shopops import ShopOps
from infrastructure.audit.export import audit_record
from infrastructure.eventstore.log import StoredRecord, stream_records
from infrastructure.readmodels import audit_timeline


class AuditEventOut(Out, kw_only=True):
    position: int
    version: int
    type: str
    occurred_at: datetime | None
    recorded_at: datetime
    actor: dict[str, Any] | None
    correlation_id: str | None
    causation_id: str | None
    data: dict[str, Any]


class AuditStateOut(Out, kw_only=True):
    id: UUID
    type: str
    version: int
    created_on: datetime
    modified_on: datetime
    state: dict[str, Any]


def _decode(app: ShopOps, stream_id: UUID, record: StoredRecord) -> Any:
    return app.mapper.to_domain_event(StoredEvent(stream_id, record.version, record.topic, record.state))


def _audit_event(app: ShopOps, stream_id: UUID, record: StoredRecord) -> AuditEventOut:
    found = audit_record(app, record.position, stream_id, record.version, record.topic, record.state)
    business_time = found["occurred_at"]
    return AuditEventOut(
        position=found["position"],
        version=found["version"],
        type=found["type"],
        occurred_at=datetime.fromisoformat(business_time) if business_time else None,
        recorded_at=found["recorded_at"],
        actor=found["actor"],
        correlation_id=found["correlation_id"],
        causation_id=found["causation_id"],
        data=found["data"],
    )


def _version_at(app: ShopOps, stream_id: UUID, records: list[StoredRecord], at: datetime) -> int | None:
    """The highest version recorded at or before `at` (None: the record did not exist yet)."""
    versions = [r.version for r in records if _decode(app, stream_id, r).timestamp <= at]
    return max(versions, default=None)


def _state(app: ShopOps, stream_id: UUID, version: int) -> AuditStateOut:
    aggregate = app.get_aggregate(stream_id, version=version)
    if aggregate.version != version:
        raise NotFoundException(f"the record has no version {version}")
    return AuditStateOut(
        id=aggregate.id,
        type=getattr(aggregate, "TOPIC", type(aggregate).__name__),
        version=aggregate.version,
        created_on=aggregate.created_on,
        modified_on=aggregate.modified_on,
        state={k: v for k, v in vars(aggregate).items() if not k.startswith("_")},
    )


class AuditController(Controller):
    path = "/audit/streams"
    tags = ("audit",)

    @get("/{stream_id:uuid}/events", guards=[AUDIT_READ])
    async def events(
        self,
        request: Request[Any, Any, Any],
        stream_id: FromPath[UUID],
        db: Db,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[AuditEventOut]:
        """Events in version order; `cursor` is the last version of the previous page."""
        runtime: Runtime = runtime_of(request)
        if cursor and not (cursor.isascii() and cursor.isdigit()):
            invalid = [{"message": "invalid cursor", "key": "cursor"}]
            raise ValidationException("the request is not valid", extra=invalid)
        after = int(cursor) if cursor else 0
        records = await stream_records(db, stream_id, after, limit + 1)
        if not records and after == 0:
            raise NotFoundException("no such stream")
        items = await runtime.call(lambda: [_audit_event(runtime.app, stream_id, r) for r in records[:limit]])
        return Page(items=items, next_cursor=str(records[limit - 1].version) if len(records) > limit else None)

    @get("/{stream_id:uuid}/state", guards=[AUDIT_READ])
    async def state(
        self,
        request: Request[Any, Any, Any],
        stream_id: FromPath[UUID],
        db: Db,
        version: Annotated[int | None, QueryParameter(ge=1)] = None,
        at: FromQuery[datetime | None] = None,
    ) -> AuditStateOut:
        """The state at `version`, or at time `at` (the last version recorded at or before it, found in the
        time → version index); 404 if none."""
        runtime = runtime_of(request)
        if at is not None:
            when = at if at.tzinfo else at.replace(tzinfo=UTC)
            version, complete = await audit_timeline.version_at(db, stream_id, when)
            if not complete:  # the index has not reached `at` yet: read the stream itself
                records = await stream_records(db, stream_id)
                version = await runtime.call(_version_at, runtime.app, stream_id, records, when)
            if version is None:
                raise NotFoundException("the record did not exist at that time")
        if version is None:
            latest = await stream_records(db, stream_id)
            if not latest:
                raise NotFoundException("no such stream")
            version = latest[-1].version
        return await runtime.call(_state, runtime.app, stream_id, version)
