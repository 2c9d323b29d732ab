"""Webhook subscriptions to alerts: stored configuration, and the signed POST of one alert to one URL.

The body is signed like the channel stock push: `X-Shopops-Signature: sha256=<HMAC-SHA256 of the raw body
with the subscription's secret>`. Delivery runs as ledger jobs (one per subscription and alert change), so
a failing receiver is retried with back-off and parked, never lost.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

Pool = ConnectionPool[Connection[Any]]
TIMEOUT_SECONDS = 10


async def put_subscription(db: Any, sid: str, url: str, kinds: list[str], secret: str) -> dict[str, Any]:
    await db.execute(
        "INSERT INTO alert_subscriptions (id, url, kinds, secret, updated_at) VALUES ($1, $2, $3, $4, now()) "
        "ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, kinds = EXCLUDED.kinds, secret = EXCLUDED.secret, "
        "updated_at = now()",
        sid,
        url,
        kinds,
        secret,
    )
    return {"id": sid, "url": url, "kinds": kinds}


def subscribers(pool: Pool, kind: str) -> list[str]:
    """Ids of the subscriptions that want alerts of `kind` (an empty kinds list means every kind)."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT id FROM alert_subscriptions WHERE kinds = '{}' OR %s = ANY(kinds) ORDER BY id", (kind,)
        ).fetchall()
    return [str(r[0]) for r in rows]


def subscription(pool: Pool, sid: str) -> tuple[str, str] | None:
    with pool.connection() as conn:
        row = conn.execute("SELECT url, secret FROM alert_subscriptions WHERE id = %s", (sid,)).fetchone()
    return (str(row[0]), str(row[1])) if row else None


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_signed(url: str, secret: str, payload: dict[str, Any]) -> int:
    """POST the payload; raises on a network error or a non-2xx answer (the job is then retried)."""
    body = json.dumps(payload, default=str, separators=(",", ":")).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is an operator-configured http(s) subscription
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Shopops-Signature": signature(secret, body)},
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        status = int(response.status)
    if not 200 <= status < 300:
        raise RuntimeError(f"webhook answered {status}")
    return status
