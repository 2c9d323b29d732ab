"""A small process supervisor for `shopops up`: starts the parts as child processes, restarts a child that
dies (with back-off), and stops them all on Ctrl-C / SIGTERM."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

log = logging.getLogger("shopops.up")


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)  # over the group's environment
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)
    quick_failures: int = 0  # consecutive exits soon after starting: the part cannot start at all


class Supervisor:
    def __init__(
        self,
        env: Mapping[str, str],
        max_backoff: float = 30.0,
        settle_seconds: float = 10.0,
        max_quick_failures: int = 4,
    ) -> None:
        self.env = dict(env)
        self.children: list[Child] = []
        self.stop = threading.Event()
        self.max_backoff = max_backoff
        self.settle_seconds = settle_seconds
        self.max_quick_failures = max_quick_failures
        self.failed: str | None = None

    def add(self, name: str, *args: str, env: Mapping[str, str] | None = None) -> None:
        self.children.append(Child(name, [sys.executable, "-m", *args], dict(env or {})))

    def _start(self, child: Child) -> None:
        log.info("starting %s", child.name)
        child.proc = subprocess.Popen(child.argv, env={**self.env, **child.env})  # noqa: S603 - our own interpreter and modules
        child.started_at = time.monotonic()

    def _check(self, child: Child) -> None:
        if child.proc is not None and child.proc.poll() is None:
            if time.monotonic() - child.started_at > 60:
                child.restarts = 0  # ran long enough: forget earlier crashes
            return
        if child.proc is not None:
            if self._gives_up(child):
                return
            log.warning("%s exited with %s; restarting", child.name, child.proc.returncode)
            child.restarts += 1
            child.next_start = time.monotonic() + min(self.max_backoff, 0.5 * 2**child.restarts)
            child.proc = None
        if time.monotonic() >= child.next_start:
            self._start(child)

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stop.set())
        for child in self.children:
            self._start(child)
        while not self.stop.wait(0.5):
            for child in self.children:
                self._check(child)
        self.shutdown()
        return 1 if self.failed else 0

    def _gives_up(self, child: Child) -> bool:
        """A part that keeps dying right after it starts (port taken, bad configuration) stops the group."""
        quick = time.monotonic() - child.started_at < self.settle_seconds
        child.quick_failures = child.quick_failures + 1 if quick else 0
        if child.quick_failures < self.max_quick_failures:
            return False
        log.error("%s cannot start (exited %d times in a row); stopping shopops", child.name, child.quick_failures)
        self.failed = child.name
        child.proc = None
        self.stop.set()
        return True

    def shutdown(self) -> None:
        running = [c.proc for c in self.children if c.proc is not None and c.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in running:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
