"""Wakes the projection runners when the event store NOTIFYs a commit, so they need not poll the log hard."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import psycopg
from psycopg import sql

log = logging.getLogger("shopops.projections")


class LogListener:
    """One LISTEN connection per process; sets every runner's `wake` event on each notification.

    The library's insert transaction runs `NOTIFY <events table>`. When the connection drops (e.g. a
    database restart) it logs, reconnects with a back-off and wakes everyone once, because commits made
    while it was away sent no notification it could hear. Runners keep a slow poll as a safety net."""

    def __init__(self, url: str, channel: str, wakes: Iterable[threading.Event]) -> None:
        self.url = url
        self.channel = channel
        self.wakes = list(wakes)
        self.listening = threading.Event()

    def run(self, stop: threading.Event) -> None:
        backoff = 0.0
        while not stop.is_set():
            try:
                self._listen(stop)
                backoff = 0.0
            except psycopg.Error:
                self.listening.clear()
                backoff = min(5.0, backoff * 2 or 0.2)
                log.warning("projection log listener lost its connection; reconnecting in %.1f s", backoff)
                stop.wait(backoff)

    def _listen(self, stop: threading.Event) -> None:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self.listening.set()
            self.wake_all()
            while not stop.is_set():
                if any(True for _ in conn.notifies(timeout=0.5, stop_after=1)):
                    self.wake_all()

    def wake_all(self) -> None:
        for wake in self.wakes:
            wake.set()
