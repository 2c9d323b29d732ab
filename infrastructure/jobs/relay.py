"""The relay: follows the event log in order and writes a job row per event that needs work, in the same
transaction as its tracking; then enqueues messages that carry only job ids. A sweeper re-enqueues jobs
whose message was lost (Redis wiped) or whose worker died, and parks jobs that used up their attempts."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from application.reactions import JobSpec, jobs_for
from application.shopops import ShopOps
from infrastructure.jobs.broker import JobRef
from infrastructure.jobs.ledger import JobLedger

log = logging.getLogger("shopops.relay")

Enqueue = Callable[[list[JobRef]], None]


class Relay:
    """One relay process per event store (it is ordered); restart-safe: it resumes from its tracking."""

    def __init__(
        self,
        app: ShopOps,
        ledger: JobLedger,
        enqueue: Enqueue,
        batch_size: int = 500,
        poll_seconds: float = 0.1,
        sweep_seconds: float = 5.0,
        stale_seconds: float = 30.0,
        periodic: Sequence[Callable[[], list[JobSpec]]] = (),
    ) -> None:
        self.app = app
        self.ledger = ledger
        self.enqueue = enqueue
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.sweep_seconds = sweep_seconds
        self.stale_seconds = stale_seconds
        self.periodic = periodic

    def step(self) -> int:
        """Relay one batch of events; returns how many events it covered."""
        position = self.ledger.relay_position()
        notifications = self.app.recorder.select_notifications(
            start=position, limit=self.batch_size, inclusive_of_start=False
        )
        if not notifications:
            return 0
        specs: list[tuple[int, str | None, JobSpec]] = []
        for notification in notifications:
            event: Any = self.app.mapper.to_domain_event(notification)
            correlation = (getattr(event, "meta", None) or {}).get("correlation_id")
            specs.extend((notification.id, correlation, spec) for spec in jobs_for(event))
        job_ids = self.ledger.record(notifications[-1].id, specs)
        self._send(job_ids)
        return len(notifications)

    def sweep(self) -> None:
        """Re-send lost or abandoned jobs, park exhausted ones, and schedule periodic checks (SLA breaches)."""
        again, parked = self.ledger.sweep(self.stale_seconds)
        if parked:
            log.warning("parked jobs after too many attempts: %s", parked)
        for check in self.periodic:
            again += self.ledger.schedule(check())
        self._send(again)

    def _send(self, job_ids: list[JobRef]) -> None:
        """Enqueue; if the broker is down the jobs stay in the ledger and the sweeper sends them later."""
        if not job_ids:
            return
        try:
            self.enqueue(job_ids)
        except Exception:  # the broker being unreachable must not stop the relay
            log.exception("could not enqueue %d job(s); the sweeper will retry", len(job_ids))

    def run(self, stop: threading.Event) -> None:
        last_sweep = 0.0
        while not stop.is_set():
            try:
                moved = self.step()
                if time.monotonic() - last_sweep >= self.sweep_seconds:
                    self.sweep()
                    last_sweep = time.monotonic()
            except Exception:  # database restarts: log, back off, carry on from the tracked position
                log.exception("relay step failed; retrying")
                moved = 0
                stop.wait(1.0)
            if not moved:
                stop.wait(self.poll_seconds)
