"""Liveness, readiness (database and projection lag) and Prometheus metrics; no token needed (not /api/v1)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import ServiceUnavailableException
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from api.metrics import record_jobs, record_lag
from api.runtime import runtime_of
from api.views import Out
from infrastructure.eventstore.log import log_position
from infrastructure.jobs import ledger as job_queries
from infrastructure.readmodels import tracking


class ReadyOut(Out, kw_only=True):
    status: str
    database: str
    log_position: int
    projection_lag: int
    projections: dict[str, int]
    jobs: dict[str, float]


async def _lag(request: Request[Any, Any, Any]) -> ReadyOut:
    db = runtime_of(request).db
    position = await log_position(db)
    positions = await tracking.projection_positions(db)
    lag = record_lag(position, positions)
    jobs = await job_queries.job_stats(db)
    record_jobs(jobs)
    return ReadyOut(
        status="ready", database="ok", log_position=position, projection_lag=lag, projections=positions, jobs=jobs
    )


class HealthController(Controller):
    path = "/"
    tags = ("operations",)

    @get("/health/live")
    async def live(self) -> dict[str, str]:
        """The process answers; says nothing about its dependencies."""
        return {"status": "alive"}

    @get("/health/ready", raises=[ServiceUnavailableException])
    async def ready(self, request: Request[Any, Any, Any]) -> ReadyOut:
        """Ready when the database answers; reports read-model lag, the job queue (depth, oldest, attempts,
        parked) and how far the relay trails the log. The broker is not probed: jobs survive its loss."""
        try:
            return await _lag(request)
        except Exception as error:  # any failure to reach the database means "not ready"
            raise ServiceUnavailableException(
                f"not ready: {type(error).__name__}", headers={"Retry-After": "2"}
            ) from None

    @get("/metrics", include_in_schema=False)
    async def metrics(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        with suppress(Exception):  # a scrape must still return request metrics when the database is down
            await _lag(request)
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
