"""Waiting on a condition with a deadline: how every test synchronises with processes, threads and the database."""

from __future__ import annotations

import time
from collections.abc import Callable

POLL_SECONDS = 0.05


def wait_until(
    check: Callable[[], object],
    timeout: float,
    what: str,
    detail: Callable[[], str] = lambda: "",
    poll: float = POLL_SECONDS,
) -> None:
    """Return as soon as `check()` is truthy; fail naming `what` (and `detail()`, e.g. log tails) at the deadline.

    The check runs once more at the deadline, so a slow machine never fails a condition that did come true."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            if check():
                return
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{detail()}")
        time.sleep(poll)  # the polling interval of the wait, not a synchronisation by itself
