"""Prometheus metrics: request counts and latency per route template, projection lag, job ledger and relay.

Metrics live in this module's own registry (created once per process, as Prometheus clients expect) so that
building several apps in one process - tests do - never registers a metric twice.
"""

from __future__ import annotations

import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "shopops_http_requests_total", "HTTP requests answered", ["method", "route", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "shopops_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
PROJECTION_LAG = Gauge(
    "shopops_projection_lag_events",
    "Events in the log not yet processed by the slowest read model",
    registry=REGISTRY,
)
PROJECTION_POSITION = Gauge(
    "shopops_projection_position", "Last notification id processed", ["projection"], registry=REGISTRY
)


JOBS_OPEN = Gauge("shopops_jobs_open", "Jobs pending or running (queue depth)", registry=REGISTRY)
JOBS_PARKED = Gauge("shopops_jobs_parked", "Jobs parked after using up their attempts", registry=REGISTRY)
JOB_AGE = Gauge("shopops_job_oldest_open_age_seconds", "Age of the oldest open job", registry=REGISTRY)
JOB_ATTEMPTS = Gauge("shopops_job_max_open_attempts", "Most attempts spent on an open job", registry=REGISTRY)
RELAY_LAG = Gauge("shopops_relay_lag_events", "Events in the log not yet seen by the relay", registry=REGISTRY)


def record_jobs(stats: dict[str, float]) -> None:
    JOBS_OPEN.set(stats["open"])
    JOBS_PARKED.set(stats["parked"])
    JOB_AGE.set(stats["oldest_open_age_seconds"])
    JOB_ATTEMPTS.set(stats["max_open_attempts"])
    RELAY_LAG.set(stats["relay_lag"])


class MetricsMiddleware:
    """Counts and times every routed HTTP request by its path template (bounded label cardinality)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observe)
        except Exception as error:  # answered by the app's exception handler further out
            status = getattr(error, "status_code", 500)
            raise
        finally:
            route = scope.get("path_template") or "unmatched"
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)


def record_lag(log_position: int, positions: dict[str, int]) -> int:
    """Update the gauges; lag = newest event − the slowest projection's position."""
    for name, position in positions.items():
        PROJECTION_POSITION.labels(name).set(position)
    lag = max(0, log_position - min(positions.values(), default=log_position))
    PROJECTION_LAG.set(lag)
    return lag
