"""Forecast refresh: a run fans out into one job per batch of SKUs; each batch reads the sales history,
runs the forecasting engine, publishes the forecasts and re-evaluates reorder points with them."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from application.reactions import JobSpec
from domain.base import Actor
from infrastructure.forecasting import runs, store
from infrastructure.jobs.broker import enqueuer
from infrastructure.jobs.ledger import Job
from infrastructure.readmodels.catalog import warehouse_regions
from infrastructure.settings import Settings
from workers.broker import broker
from workers.runtime import Runtime

FORECASTER = Actor(id="forecaster", role="worker", kind="worker")


def refresh_forecasts(runtime: Runtime, job: Job) -> dict[str, Any]:
    """Start a run: split the SKUs (the request's, else the whole catalogue) into batch jobs."""
    settings = runtime.container.settings
    pool = runtime.pool
    requested = job.payload.get("skus")
    skus = sorted(set(requested or store.all_skus(pool)))
    horizon = int(job.payload.get("horizon") or settings.shopops_forecast_horizon_days)
    until = job.payload.get("until") or (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    runs.start_run(
        pool, job.id, job.payload.get("trigger", "api"), job.payload.get("requested_by", "?"), requested, horizon
    )
    batches = list(store.chunks(skus, settings.shopops_forecast_batch_skus))
    specs = [
        JobSpec(
            "forecast_batch", f"{job.id}:{n}", {"run_id": job.id, "skus": batch, "horizon": horizon, "until": until}
        )
        for n, batch in enumerate(batches)
    ]
    ids = runtime.ledger.schedule(specs)
    runs.run_batches(pool, job.id, len(batches))
    enqueuer(broker)(ids)
    return {"batches": len(batches), "skus": len(skus), "until": until, "horizon": horizon}


def forecast_batch(runtime: Runtime, job: Job) -> dict[str, Any]:
    """Forecast every series of the batch's SKUs, publish, and re-evaluate their reorder points."""
    settings = runtime.container.settings
    pool = runtime.pool
    skus: list[str] = job.payload["skus"]
    horizon = int(job.payload["horizon"])
    until = date.fromisoformat(job.payload["until"])
    # pandas, statsmodels and xgboost load only in a process that forecasts (workers start fast).
    from infrastructure.forecasting import forecast_with_report, frames

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    history, aliases = frames.load_history(pool, skus, until, settings.shopops_forecast_history_days)
    seconds["load"] = time.perf_counter() - started
    published = modelled = 0
    if not history.empty:
        last_beat = time.monotonic()

        def heartbeat(_message: str) -> None:
            nonlocal last_beat
            if time.monotonic() - last_beat >= runtime.ledger.lease_seconds / 3:
                runtime.ledger.extend_lease(job.id)
                last_beat = time.monotonic()

        report = forecast_with_report(
            history,
            horizon,
            future=frames.future_covariates(history, horizon),
            freq=store.FREQ,
            season=store.SEASON,
            progress=heartbeat,
            workers=1,
        )
        modelled = len(report.series)
        seconds["engine"] = time.perf_counter() - started - seconds["load"]
        mark = time.perf_counter()
        published = frames.publish(
            pool, int(job.payload["run_id"]), report.series, report.forecasts, horizon, datetime.now(UTC), aliases
        )
        seconds["publish"] = time.perf_counter() - mark
    mark = time.perf_counter()
    raised = _reorder(runtime, skus, job)
    seconds["reorder"] = time.perf_counter() - mark
    runs.batch_done(pool, int(job.payload["run_id"]), job.id, published)
    return {
        "series": published,
        "modelled": modelled,
        "replenishments": raised,
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
    }


def _reorder(runtime: Runtime, skus: list[str], job: Job) -> list[str]:
    """Reorder points move with the forecast: evaluate each SKU × warehouse of the batch that has a policy."""
    app = runtime.container.app
    codes = sorted(warehouse_regions(runtime.pool))
    meta = job.meta(FORECASTER)
    raised: list[str] = []
    for sku, code, policy in store.stock_policies(runtime.pool, skus):
        days = int(policy["lead_time_days"]) + int(policy["review_days"])
        forecast = store.demand_forecast(runtime.pool, sku, code, days)
        result = app.evaluate_reorder(sku, code, codes, meta, forecast)
        if result.aggregate is not None:
            raised.append(str(result.aggregate.id))
    return raised


def scheduled_refresh(settings: Settings, now: datetime | None = None) -> list[JobSpec]:
    """Periodic check: one refresh per UTC day once the configured time has passed (the key makes it once)."""
    at = settings.forecast_refresh_time
    if at is None:
        return []
    now = now or datetime.now(UTC)
    if (now.hour, now.minute) < (at.hour, at.minute):
        return []
    day = now.date().isoformat()
    return [JobSpec("forecast_refresh", f"scheduled:{day}", {"trigger": "schedule", "requested_by": "scheduler"})]
