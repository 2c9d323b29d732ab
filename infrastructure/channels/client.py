"""The HTTP side of a push: a JSON body signed with the channel's secret (`X-Shopops-Signature:
sha256=<hex HMAC-SHA256 of the raw body>`, as channels sign their webhooks to us), POSTed with a timeout."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any

SIGNATURE_HEADER = "X-Shopops-Signature"


class PushError(Exception):
    """The receiver did not take the push (network error, timeout, or a non-2xx answer): retry later."""


def sign(body: bytes, secret: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def post_signed(url: str, payload: dict[str, Any], secret: bytes | None, timeout: float) -> int:
    """POST the payload; returns the 2xx status, raises PushError otherwise (nothing is sent unsigned)."""
    if not secret:
        raise PushError("no secret configured for this channel (SHOPOPS_CHANNEL_SECRETS)")
    body = encode(payload)
    request = urllib.request.Request(  # noqa: S310 - channel URLs are validated as http(s) when configured
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret), "User-Agent": "shopops"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        raise PushError(f"{url} answered {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise PushError(f"{url} unreachable: {error}") from None
