"""Prometheus metrics: request counts and latency per route template (Litestar's Prometheus plugin), and
gauges for projection lag, the job ledger and the relay, refreshed when /metrics is scraped.

Everything is in prometheus_client's default registry; the gauges are created once per process (here), and
the plugin keeps its own request metrics per process, so building several apps in one process (tests) never
registers a metric twice.
"""

from __future__ import annotations

from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import Gauge

PROMETHEUS = PrometheusConfig(
    app_name="shopops",
    prefix="shopops_http",
    group_path=True,  # label by route template (bounded cardinality), not by the concrete path
    buckets=[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
)
PROJECTION_LAG = Gauge(
    "shopops_projection_lag_events", "Events in the log not yet processed by the slowest read model"
)
PROJECTION_POSITION = Gauge("shopops_projection_position", "Last notification id processed", ["projection"])
JOBS_OPEN = Gauge("shopops_jobs_open", "Jobs pending or running (queue depth)")
JOBS_PARKED = Gauge("shopops_jobs_parked", "Jobs parked after using up their attempts")
JOB_AGE = Gauge("shopops_job_oldest_open_age_seconds", "Age of the oldest open job")
JOB_ATTEMPTS = Gauge("shopops_job_max_open_attempts", "Most attempts spent on an open job")
RELAY_LAG = Gauge("shopops_relay_lag_events", "Events in the log not yet seen by the relay")


def record_jobs(stats: dict[str, float]) -> None:
    JOBS_OPEN.set(stats["open"])
    JOBS_PARKED.set(stats["parked"])
    JOB_AGE.set(stats["oldest_open_age_seconds"])
    JOB_ATTEMPTS.set(stats["max_open_attempts"])
    RELAY_LAG.set(stats["relay_lag"])


def record_lag(log_position: int, positions: dict[str, int]) -> int:
    """Update the gauges; lag = newest event − the slowest projection's position."""
    for name, position in positions.items():
        PROJECTION_POSITION.labels(name).set(position)
    lag = max(0, log_position - min(positions.values(), default=log_position))
    PROJECTION_LAG.set(lag)
    return lag
