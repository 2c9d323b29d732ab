"""Stored responses for `Idempotency-Key` (Stripe's model) in `idempotency_keys`, keyed by (principal, key).

A key is claimed (row `in_flight`) BEFORE the command runs and completed (row `done`, status and body) after
it, so a retry either replays the stored response, waits behind the running request (409 + Retry-After), or
- when the first request crashed and left its claim behind for longer than `STALE_AFTER` - takes the claim
over. A claim older than the database server's start is taken over at once: the request holding it lost its
connections in the restart and could not release it (K4). Taking over can run the command twice if the first
request was merely slow; every command this guards is itself idempotent on its natural key or safe to repeat,
so that window only costs a duplicate attempt.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

STALE_AFTER = timedelta(seconds=60)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Claimed:
    """This request owns the key: run the command, then `complete` or `release`."""


@dataclass(frozen=True)
class Replay:
    """The key was used for this very request before: answer with the stored response."""

    status_code: int
    body: bytes


@dataclass(frozen=True)
class InFlight:
    """The first request with this key is still running."""


@dataclass(frozen=True)
class Mismatch:
    """The key was used for a different request (method, path or body)."""


Outcome = Claimed | Replay | InFlight | Mismatch


def request_hash(method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same": method, path and the raw body bytes."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def claim(db: Any, principal: str, key: str, method: str, path: str, fingerprint: str) -> Outcome:
    """Claim the key for this request, or say why not (one round trip in the common case)."""
    inserted = await db.fetchval(
        """
        INSERT INTO idempotency_keys (principal, key, method, path, request_hash, state)
        VALUES ($1, $2, $3, $4, $5, 'in_flight')
        ON CONFLICT (principal, key) DO NOTHING
        RETURNING true
        """,
        principal,
        key,
        method,
        path,
        fingerprint,
    )
    if inserted:
        return Claimed()
    row = await db.fetchrow(
        "SELECT request_hash, state, status_code, response FROM idempotency_keys WHERE principal = $1 AND key = $2",
        principal,
        key,
    )
    if row is None:  # released between our insert and select: try once more
        return await claim(db, principal, key, method, path, fingerprint)
    if row["request_hash"] != fingerprint:
        return Mismatch()
    if row["state"] == "done":
        return Replay(row["status_code"], bytes(row["response"]))
    taken_over = await db.fetchval(
        """
        UPDATE idempotency_keys SET created_at = now()
         WHERE principal = $1 AND key = $2 AND state = 'in_flight'
           AND (created_at < now() - $3::interval OR created_at < pg_postmaster_start_time())
        RETURNING true
        """,
        principal,
        key,
        STALE_AFTER,
    )
    return Claimed() if taken_over else InFlight()


async def complete(db: Any, principal: str, key: str, status_code: int, body: bytes) -> None:
    """Store the response that every later retry with this key will get."""
    await db.execute(
        """
        UPDATE idempotency_keys
           SET state = 'done', status_code = $3, response = $4, completed_at = now()
         WHERE principal = $1 AND key = $2
        """,
        principal,
        key,
        status_code,
        body,
    )


async def release(db: Any, principal: str, key: str) -> None:
    """Forget an unfinished claim (the request failed in a way a retry may fix)."""
    await db.execute(
        "DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2 AND state = 'in_flight'", principal, key
    )


async def purge(db: Any, older_than: timedelta) -> int:
    """Drop completed keys older than the retention window (Stripe keeps them 24 hours)."""
    status: str = await db.execute(
        "DELETE FROM idempotency_keys WHERE state = 'done' AND completed_at < now() - $1::interval", older_than
    )
    return int(status.rsplit(" ", 1)[-1])
