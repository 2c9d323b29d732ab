"""Projection benchmark: rebuild of every read model together, and the CPU a runner spends per event while
following the log in live-sized batches, next to a baseline measured in the same run on the same log: a plain
read of the notifications (select + decode, no handling), so the ratio shows the handlers' overhead.

A scratch database is filled with a realistic mixed log (benchmarks/mixed_log.py: catalog, stock, orders
placed/allocated/paid/shipped/delivered/cancelled, tickets) written through the domain in batched saves.

Usage: python benchmarks/rebuild.py [--events 200000] [--live-events 20000] [--admin-url URL] [--keep URL]
Output: JSON on stdout and in benchmarks/results/rebuild-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.intake import drop_database, scratch_database  # noqa: E402
from benchmarks.mixed_log import fill  # noqa: E402
from infrastructure.bootstrap import bootstrap  # noqa: E402
from infrastructure.readmodels.group import ProjectionGroup  # noqa: E402
from infrastructure.readmodels.registry import PROJECTIONS  # noqa: E402
from infrastructure.readmodels.runner import rebuild  # noqa: E402
from infrastructure.settings import Settings  # noqa: E402

LIVE_BATCH = 25  # events one wake-up finds at ~150 orders/s (a few events each) after ~40 ms


def timed(work: Any) -> tuple[Any, float, float]:
    wall, cpu = time.monotonic(), time.process_time()
    result = work()
    return result, time.monotonic() - wall, time.process_time() - cpu


def plain_read(settings: Settings, head: int, batch: int = 2000) -> int:
    """The baseline: read and decode every notification up to `head`, handling none."""
    with bootstrap(settings) as container:
        app, position, read = container.app, 0, 0
        while position < head:
            notifications = app.recorder.select_notifications(position, batch, stop=head, inclusive_of_start=False)
            for notification in notifications:
                app.mapper.to_domain_event(notification)
            read += len(notifications)
            position = notifications[-1].id if notifications else head
        return read


def live_follow(settings: Settings, head: int, events: int) -> tuple[int, float, float]:
    """Replay the last `events` events as a runner following the log live does: the head moves on by
    LIVE_BATCH events at a time and the runner (every read model, one group) takes each step to it. Returns
    (events, wall seconds, CPU seconds)."""
    start = max(0, head - events)
    with bootstrap(settings) as container:
        group = ProjectionGroup(container.app, container.pool, list(PROJECTIONS.values()), batch_size=2000)
        group.reset()
        group.catch_up(start)
        group.batch_size = 500

        def follow() -> None:
            for upto in range(start + LIVE_BATCH, head + LIVE_BATCH, LIVE_BATCH):
                group.step(min(upto, head))

        _, wall, cpu = timed(follow)
        return head - start, wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--live-events", type=int, default=20_000)
    parser.add_argument(
        "--admin-url", default=os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1/postgres")
    )
    parser.add_argument("--keep", default=None, help="reuse this already filled database (and keep it)")
    args = parser.parse_args()
    url = args.keep or scratch_database(args.admin_url)
    settings = Settings(database_url=url)
    try:
        with bootstrap(settings) as container:
            head, fill_seconds, _ = timed(lambda: container.app.position() or fill(container.app, args.events))
        read, read_wall, read_cpu = timed(lambda: plain_read(settings, head))
        rebuilt, rebuild_wall, rebuild_cpu = timed(lambda: rebuild(settings))
        live, live_wall, live_cpu = live_follow(settings, head, args.live_events)
        result = {
            "benchmark": "rebuild",
            "events": head,
            "fill_seconds": round(fill_seconds, 2),
            "read_models": len(PROJECTIONS),
            "baseline_plain_read": {
                "events": read,
                "seconds": round(read_wall, 2),
                "events_per_second": round(read / read_wall),
                "cpu_us_per_event": round(read_cpu / read * 1e6, 1),
            },
            "rebuild_all": {
                "events": head,
                "seconds": round(rebuild_wall, 2),
                "events_per_second": round(head / rebuild_wall),
                "cpu_us_per_event": round(rebuild_cpu / head * 1e6, 1),
                "handled": rebuilt,
            },
            "ratio_rebuild_to_plain_read": round((head / rebuild_wall) / (read / read_wall), 3),
            "live_follow": {
                "events": live,
                "batch": LIVE_BATCH,
                "seconds": round(live_wall, 2),
                "cpu_us_per_event": round(live_cpu / live * 1e6, 1),
                "events_per_second": round(live / live_wall),
            },
            "load_average": os.getloadavg(),
        }
    finally:
        if not args.keep:
            drop_database(args.admin_url, url)
    text = json.dumps(result, indent=2)
    print(text)
    out = ROOT / "benchmarks" / "results" / f"rebuild-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()
