"""A stand-in marketplace for push tests: a real HTTP server on loopback (stdlib, in a thread) that verifies
`X-Shopops-Signature`, records what it accepted, can be told to answer 429/500 part of the time, and stops."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from typing import Any


class Receiver:
    """Records accepted stock items per (channel, SKU) in arrival order, fulfilments, and bad signatures."""

    def __init__(self, secret: str, fail_rate: float = 0.0, seed: int = 7) -> None:
        self.secret = secret.encode()
        self.fail_rate = fail_rate
        self.fail_next = 0
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.stock: dict[tuple[str, str], list[tuple[int, int]]] = {}  # (channel, sku) -> [(version, value)]
        self.requests: list[dict[str, Any]] = []
        self.fulfilments: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.refused = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="receiver")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def last(self, channel: str) -> dict[str, int]:
        """The last value received per SKU of a channel."""
        with self.lock:
            return {sku: pushes[-1][1] for (c, sku), pushes in self.stock.items() if c == channel and pushes}

    def versions_went_back(self) -> list[tuple[str, str]]:
        with self.lock:
            return [key for key, pushes in self.stock.items() if any(b[0] < a[0] for a, b in pairwise(pushes))]

    def _answer(self, body: bytes, signature: str | None, path: str) -> int:
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        with self.lock:
            if signature is None or not hmac.compare_digest(expected, signature):
                self.bad_signatures += 1
                return 401
            if self.fail_next > 0 or self.random.random() < self.fail_rate:
                self.fail_next = max(0, self.fail_next - 1)
                self.refused += 1
                return self.random.choice((429, 500))
            payload = json.loads(body)
            self.requests.append(payload)
            if path.endswith("/fulfilment"):
                self.fulfilments.append(payload)
            else:
                for item in payload["items"]:
                    key = (payload["channel"], item["sku"])
                    self.stock.setdefault(key, []).append((item["version"], item["available_to_sell"]))
            return 200

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver._answer(body, self.headers.get("X-Shopops-Signature"), self.path)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:  # quiet: the receiver records what matters
                return

        return Handler
