"""Queues per kind of work: every job kind has a queue, and long work has a lane of its own."""

from __future__ import annotations

import pytest

from infrastructure.jobs.broker import LANES, QUEUES, queue_for
from workers.actors import HANDLERS


def test_every_job_kind_a_worker_handles_runs_on_a_declared_queue() -> None:
    assert {queue_for(kind).name for kind in HANDLERS} <= set(QUEUES)


def test_an_unknown_job_kind_has_no_queue_rather_than_a_guessed_one() -> None:
    with pytest.raises(LookupError, match="KIND_QUEUES"):
        queue_for("no_such_kind")


def test_forecasts_and_outbound_pushes_never_share_threads_with_dispatch() -> None:
    lane_of = {queue: lane for lane in LANES for queue in lane}
    assert set(lane_of) == set(QUEUES)
    assert lane_of["forecasts"] == ("forecasts",)
    assert lane_of["outbound"] == ("outbound",)
    assert queue_for("fault:hold:forecasts").name == "forecasts"
