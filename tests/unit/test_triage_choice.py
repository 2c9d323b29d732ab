"""`domain.triage.choose_agent`: online, skilled, with spare capacity; least loaded, then longest since the
last assignment, then the code."""

from __future__ import annotations

from domain.triage import AgentView, choose_agent


def agent(code: str, load: int = 0, *, skills: tuple[str, ...] = ("shipping",), capacity: int = 3,
          online: bool = True, last: int = 0) -> AgentView:  # fmt: skip
    return AgentView(code, skills, capacity, online, load, last)


def chosen(category: str, *agents: AgentView, exclude: tuple[str, ...] = ()) -> str | None:
    found = choose_agent(category, list(agents), exclude)
    return found.code if found else None


def test_the_least_loaded_agent_is_chosen() -> None:
    assert chosen("shipping", agent("ann", 2), agent("bob", 1), agent("cat", 2)) == "bob"


def test_offline_unskilled_and_full_agents_are_never_chosen() -> None:
    offline = agent("ann", online=False)
    unskilled = agent("bob", skills=("refund",))
    full = agent("cat", 3, capacity=3)
    busy = agent("dan", 2, capacity=3)
    assert chosen("shipping", offline, unskilled, full, busy) == "dan"


def test_nobody_is_chosen_when_no_agent_can_take_the_ticket() -> None:
    assert chosen("shipping", agent("ann", online=False), agent("bob", 3)) is None
    assert chosen("payment", agent("ann")) is None
    assert choose_agent("shipping", []) is None


def test_among_equally_loaded_agents_the_one_assigned_longest_ago_is_chosen() -> None:
    assert chosen("shipping", agent("ann", 1, last=300), agent("bob", 1, last=100), agent("cat", 1, last=200)) == "bob"


def test_a_full_tie_breaks_on_the_code() -> None:
    assert chosen("shipping", agent("cat"), agent("ann"), agent("bob")) == "ann"


def test_load_counts_before_the_round_robin_order() -> None:
    assert chosen("shipping", agent("ann", 2, last=0), agent("bob", 1, last=999)) == "bob"


def test_excluded_agents_are_skipped_even_when_they_would_win() -> None:
    assert chosen("shipping", agent("ann", 0), agent("bob", 2), exclude=("ann",)) == "bob"
    assert chosen("shipping", agent("ann", 0), exclude=("ann",)) is None


def test_an_agent_over_capacity_after_a_change_of_capacity_is_not_chosen() -> None:
    assert chosen("shipping", agent("ann", 4, capacity=2)) is None
