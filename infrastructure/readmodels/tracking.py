"""Where the read models are in the log, and waiting for them (read-your-writes, `?min_position=`)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from infrastructure.readmodels.registry import PROJECTIONS

POSITIONS_SQL = " UNION ALL ".join(
    f"SELECT '{name}' AS name, coalesce((SELECT notification_id FROM {name}_tracking "  # noqa: S608 - fixed names
    f"WHERE application_name = 'shopops'), 0) AS position"
    for name in PROJECTIONS
)


async def projection_positions(db: Any) -> dict[str, int]:
    return {r["name"]: int(r["position"]) for r in await db.fetch(POSITIONS_SQL)}


async def wait_for_position(db: Any, position: int, timeout: float) -> bool:  # noqa: ASYNC109 - a bounded wait is the contract
    """True once every read model has processed `position` (polled every 20 ms, up to `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        positions = await projection_positions(db)
        if min(positions.values(), default=0) >= position:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.02)
