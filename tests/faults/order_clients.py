"""HTTP order clients for the crash scenarios (K1, K4): orders placed at a fixed arrival rate, each with its own
`Idempotency-Key`, retried with the same key and body until the API gives a final answer; every attempt
(status, latency, order id, whether it was a replay) is recorded for the assertions."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"
RETRY_CODES = {"idempotency_in_flight", "concurrency_conflict"}  # 409s that say "try again", not "no"


@dataclass(frozen=True)
class Attempt:
    """One HTTP request: `status` None means no HTTP answer at all (refused, reset, timed out)."""

    started: float  # time.monotonic() of this process
    ended: float
    status: int | None
    code: str | None = None  # the problem document's `code`
    order_id: str | None = None
    problem_json: bool = False
    replayed: bool = False
    error: str | None = None
    retry_after: float = 0.0  # what the `Retry-After` header asked for

    @property
    def latency(self) -> float:
        return self.ended - self.started

    @property
    def final(self) -> bool:
        """An answer the client acts on; everything else is retried with the same key."""
        if self.status is None or self.status >= 500 or self.status == 429:
            return False
        return not (self.status == 409 and self.code in RETRY_CODES)


@dataclass
class OrderRun:
    """One order as a client experienced it: its key, its body and every attempt until the final answer."""

    key: str
    body: dict[str, Any]
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def answer(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts and self.attempts[-1].final else None

    @property
    def acknowledged(self) -> bool:
        return self.answer is not None and self.answer.status is not None and 200 <= self.answer.status < 300


def _attempt(started: float, response: httpx.Response) -> Attempt:
    media = response.headers.get("content-type", "")
    payload: Any = None
    try:
        payload = response.json()
    except ValueError:
        payload = None
    document = payload if isinstance(payload, dict) else {}
    return Attempt(
        started=started,
        ended=time.monotonic(),
        status=response.status_code,
        code=document.get("code") if response.status_code >= 400 else None,
        order_id=document.get("id") if response.status_code < 300 else None,
        problem_json=media.startswith(PROBLEM_JSON),
        replayed=response.headers.get("idempotent-replayed") == "true",
        retry_after=float(response.headers.get("retry-after", "0") or 0),
    )


class OrderClients:
    """Clients of one API. A client waits `retry_pause` before trying the same key again, doubling the pause
    after every failed attempt up to `max_pause`, or longer when `Retry-After` asks for it (well-behaved
    clients back off, so a restarting API or a recovering database is not stormed)."""

    def __init__(
        self,
        base_url: str,
        prefix: str,
        skus: list[str],
        timeout: float = 30.0,
        retry_pause: float = 0.1,
        max_pause: float = 1.0,
        give_up_after: float = 120.0,
    ) -> None:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=32)  # no waiting for a free slot
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits)
        self.prefix = prefix
        self.skus = skus
        self.retry_pause = retry_pause
        self.max_pause = max_pause
        self.give_up_after = give_up_after
        self.headers: dict[str, str] = {}
        self.runs: list[OrderRun] = []
        self.reads: list[Attempt] = []

    async def __aenter__(self) -> OrderClients:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.http.aclose()

    async def log_in(self, username: str, password: str) -> None:
        credentials = {"username": username, "password": password}
        response = await self.http.post("/api/v1/auth/token", json=credentials)
        assert response.status_code == 200, response.text
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    def body(self, number: int) -> dict[str, Any]:
        return {
            "channel": "web",
            "external_id": f"{self.prefix}-{number}",
            "customer": {"id": f"c{number % 53}", "name": "Fault Test Customer"},
            "lines": [
                {
                    "sku": self.skus[number % len(self.skus)],
                    "quantity": 1,
                    "unit_price": {"amount": "5.00", "currency": "EUR"},
                }
            ],
        }

    async def send(self, run: OrderRun) -> Attempt:
        """One attempt for `run` (same key, same body); transport failures become an attempt without status."""
        started = time.monotonic()
        headers = {**self.headers, "Idempotency-Key": run.key}
        try:
            response = await self.http.post("/api/v1/orders", json=run.body, headers=headers)
        except httpx.TransportError as error:
            return Attempt(started, time.monotonic(), None, error=type(error).__name__)
        return _attempt(started, response)

    async def place(self, number: int) -> OrderRun:
        """Place one order and retry it with the same key until a final answer (or `give_up_after`)."""
        run = OrderRun(key=str(uuid.uuid4()), body=self.body(number))
        self.runs.append(run)
        deadline = time.monotonic() + self.give_up_after
        pause = self.retry_pause
        while time.monotonic() < deadline:
            attempt = await self.send(run)
            run.attempts.append(attempt)
            if attempt.final:
                break
            await asyncio.sleep(max(pause, attempt.retry_after))
            pause = min(self.max_pause, pause * 2)
        return run

    async def paced(self, rate: float, seconds: float, first: int = 0) -> list[OrderRun]:
        """Open loop: order n is sent at start + n / rate however slow earlier answers are; returns when every
        order sent has its final answer."""
        start = time.monotonic()
        tasks = []
        number = first
        while (due := start + (number - first) / rate) < start + seconds:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            tasks.append(asyncio.create_task(self.place(number)))
            number += 1
        return list(await asyncio.gather(*tasks))

    async def read_loop(self, order_id: str, stop: asyncio.Event, period: float = 0.1) -> None:
        """GET one order over and over until `stop`, recording each read as an attempt."""
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = await self.http.get(f"/api/v1/orders/{order_id}", headers=self.headers)
                self.reads.append(_attempt(started, response))
            except httpx.TransportError as error:
                self.reads.append(Attempt(started, time.monotonic(), None, error=type(error).__name__))
            await asyncio.sleep(period)
