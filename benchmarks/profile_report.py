"""Summarise py-spy raw stacks (`py-spy record --format raw`, as `benchmarks/system.py --profile DIR` writes
them): per process, the share of samples spent in each of a few named stages of an order's path, and the
functions with the most samples inclusive and exclusive.

Usage: python benchmarks/profile_report.py DIR [--top 25] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

# Stages of an order's path, matched against frames from the outside in: the innermost matching stage wins
# (database driver frames count for the stage that called them).
STAGES: list[tuple[str, re.Pattern[str]]] = [
    ("http (uvicorn, litestar routing, middleware)", re.compile(r"uvicorn|litestar|h11|httptools|starlette")),
    ("auth (JWT, roles)", re.compile(r"api/security|jwt|api/roles|api/allow")),
    ("idempotency", re.compile(r"api/idempotency")),
    ("parsing and serialising bodies", re.compile(r"msgspec|api/body|api/schemas|_encode|_decode|json")),
    ("command: aggregate reads", re.compile(r"_maybe|repository\.get|select_events|_require_known|_exists")),
    ("command: events and serialisation", re.compile(r"domain/|mapper|transcoder|to_stored_event|cipher|seal")),
    ("commit (event store insert)", re.compile(r"insert_events|_insert_events|_commit|\.save ")),
    ("projections (handlers, tracking)", re.compile(r"readmodels/")),
    ("dispatch (worker, jobs, relay)", re.compile(r"workers/|infrastructure/jobs|dramatiq")),
]


def parse(path: Path) -> Counter[tuple[str, ...]]:
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        frames, _, count = line.rpartition(" ")
        try:
            stacks[tuple(frames.split(";"))] += int(count)
        except ValueError:
            continue
    return stacks


def idle(frame: str) -> bool:
    return bool(re.search(r"select \(selectors|_run_once|wait \(threading|epoll|poll \(|sleep|acquire \(", frame))


def summarise(stacks: Counter[tuple[str, ...]], top: int) -> dict[str, Any]:
    total = sum(stacks.values())
    busy = Counter({s: n for s, n in stacks.items() if s and not idle(s[-1])})
    busy_total = sum(busy.values()) or 1
    stages: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    for stack, n in busy.items():
        stage = "other"
        for frame in stack:
            for name, pattern in STAGES:
                if pattern.search(frame):
                    stage = name
        stages[stage] += n
        for frame in set(stack):
            inclusive[frame] += n
        exclusive[stack[-1]] += n

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(k, round(100 * v / busy_total, 1)) for k, v in counter.most_common(top)]

    return {
        "samples": total,
        "busy_samples": busy_total,
        "stages_pct": dict(share(stages)),
        "inclusive_pct": share(inclusive),
        "exclusive_pct": share(exclusive),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = {path.stem: summarise(parse(path), args.top) for path in sorted(args.directory.glob("*.txt"))}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name, summary in report.items():
        print(f"\n== {name}: {summary['busy_samples']} busy of {summary['samples']} samples")
        for stage, pct in summary["stages_pct"].items():
            print(f"  {pct:5.1f}%  {stage}")
        print("  -- inclusive")
        for frame, pct in summary["inclusive_pct"]:
            print(f"  {pct:5.1f}%  {frame[:150]}")
        print("  -- exclusive")
        for frame, pct in summary["exclusive_pct"][:12]:
            print(f"  {pct:5.1f}%  {frame[:150]}")


if __name__ == "__main__":
    main()
