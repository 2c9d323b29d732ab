"""Where the read models are in the log, and waiting for them: read-your-writes for the API
(`?min_position=`) and for workers that decide from a read model (nothing before their cause overlooked)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

from infrastructure.readmodels.base import APP, position_of
from infrastructure.readmodels.registry import PROJECTIONS
from infrastructure.statements import Statement

POLL_SECONDS = 0.02

POSITIONS = Statement(
    " UNION ALL ".join(
        f"SELECT '{name}' AS name, coalesce((SELECT notification_id FROM {name}_tracking "  # noqa: S608 - fixed names
        f"WHERE application_name = $1), 0) AS position"
        for name in PROJECTIONS
    )
)


def projection_position(pool: ConnectionPool[Connection[Any]], projection: str) -> int:
    with pool.connection() as conn:
        return int(position_of(projection).value(conn, APP) or 0)


def wait_for_projection(pool: ConnectionPool[Connection[Any]], projection: str, position: int, timeout: float) -> None:
    """Block until the read model has processed `position`; TimeoutError (the job is retried) after `timeout`."""
    deadline = time.monotonic() + timeout
    while projection_position(pool, projection) < position:
        if time.monotonic() > deadline:
            raise TimeoutError(f"read model {projection} is behind position {position}; retry later")
        time.sleep(POLL_SECONDS)


async def projection_positions(db: Any) -> dict[str, int]:
    return {r["name"]: int(r["position"]) for r in await POSITIONS.fetch(db, APP)}


async def wait_for_position(db: Any, position: int, timeout: float) -> bool:  # noqa: ASYNC109 - a bounded wait is the contract
    """True once every read model has processed `position` (polled every 20 ms, up to `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while min((await projection_positions(db)).values(), default=0) < position:
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL_SECONDS)
    return True
