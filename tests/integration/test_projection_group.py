"""The projection group against real PostgreSQL: a read model behind the others catches up on its own while
the others keep following the head, then joins them; a member moved by another runner rolls the whole
cohort's batch back (rows of every member and every tracking row), and the group resumes from what is
committed."""

from __future__ import annotations

from typing import Any

import pytest

from infrastructure.bootstrap import Container
from infrastructure.readmodels.group import ProjectionGroup, Projector, TrackingMovedError
from infrastructure.readmodels.registry import PROJECTIONS
from tests.integration.test_projections import META, dump, history, line, pool, positions

__all__ = ["pool"]  # the fixture, shared


def more_orders(container: Container, tag: str, orders: int = 5) -> None:
    for i in range(orders):
        oid = container.app.place_order("web", f"{tag}{i}", {"id": f"c{i}"}, [line("A", 1, "2.50")], META)
        container.app.allocate_order(oid.aggregate.id, ["W1", "W2"], [], META)


def test_a_read_model_behind_catches_up_without_holding_the_others_back_and_then_joins_them(
    container: Container, pool: Any, clean_db: str
) -> None:
    history(container, orders=6)
    group = ProjectionGroup(container.app, pool, list(PROJECTIONS.values()), batch_size=500)
    group.catch_up()
    followed, followed_at = dump(clean_db), container.app.position()
    Projector(container.app, pool, PROJECTIONS["stock_levels"]).reset()  # as a rebuild of one read model starts
    more_orders(container, "late")
    head = container.app.position()
    group.batch_size = 7  # the laggard needs many batches
    with pytest.raises(TrackingMovedError, match="stock_levels"):
        group.step()  # it learns of the reset when its next batch is refused (and rolled back)
    assert positions(clean_db)["order_summary"] < head

    group.step()  # one batch for the laggard and one for the leaders
    reached = positions(clean_db)
    leaders = {p for name, p in reached.items() if name != "stock_levels"}
    assert len(leaders) == 1  # still one cohort
    assert 0 < reached["stock_levels"] < min(leaders)
    assert min(leaders) > followed_at  # the leaders did not wait for it

    steps = 1
    while group.position() < head:
        group.step()
        steps += 1
    assert steps > 3
    assert positions(clean_db) == dict.fromkeys(PROJECTIONS, head)  # joined: one cohort again
    more_orders(container, "after")
    group.catch_up()
    assert positions(clean_db) == dict.fromkeys(PROJECTIONS, container.app.position())
    caught_up = dump(clean_db)
    assert caught_up["stock_levels"] != followed["stock_levels"]  # the new orders reserved stock
    rebuilt = ProjectionGroup(container.app, pool, list(PROJECTIONS.values()), batch_size=2000)
    rebuilt.reset()
    rebuilt.catch_up()
    assert dump(clean_db) == caught_up


def test_a_member_moved_by_another_runner_rolls_back_the_whole_cohort_batch(
    container: Container, pool: Any, clean_db: str
) -> None:
    history(container, orders=3)
    group = ProjectionGroup(container.app, pool, list(PROJECTIONS.values()), batch_size=500)
    group.catch_up()
    more_orders(container, "x")
    # another runner of warehouse_list moves it over the new events (none of them is a warehouse event)
    assert Projector(container.app, pool, PROJECTIONS["warehouse_list"]).step() == 0
    before, at = dump(clean_db), positions(clean_db)
    assert at["warehouse_list"] == container.app.position() > at["order_summary"]
    with pytest.raises(TrackingMovedError, match="warehouse_list"):
        group.step()
    assert dump(clean_db) == before  # no member's rows were written
    assert positions(clean_db) == at
    group.catch_up()  # after a failure the group reads the committed positions again and carries on
    assert positions(clean_db) == dict.fromkeys(PROJECTIONS, container.app.position())
    followed = dump(clean_db)
    assert followed != before
    rebuilt = ProjectionGroup(container.app, pool, list(PROJECTIONS.values()), batch_size=2000)
    rebuilt.reset()
    rebuilt.catch_up()
    assert dump(clean_db) == followed
