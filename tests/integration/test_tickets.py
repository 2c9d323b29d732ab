"""Ticket triage commands on the real event store: classification recorded with its rule, automatic
assignment by skill, capacity and load (round robin on ties), and SLA escalation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.base import Actor, Meta
from domain.triage import classify
from infrastructure.bootstrap import Container

META = Meta(actor=Actor("tester", "admin"), correlation_id="test")
BOT = Meta(actor=Actor("tickets", "worker", "worker"), correlation_id="job:1", causation_id="job:1")


def open_ticket(container: Container, subject: str, body: str) -> UUID:
    ticket = container.app.open_ticket("cust-1", None, "email", subject, body, META).aggregate
    container.app.classify_ticket(ticket.id, classify(subject, body), BOT)
    return UUID(str(ticket.id))


def test_a_chinese_shipping_question_is_classified_and_the_rule_is_recorded(container: Container) -> None:
    tid = open_ticket(container, "物流问题", "我的包裹还没到，快递单号查不到")
    ticket = container.app.ticket(tid)
    assert (ticket.category, ticket.priority) == ("shipping", "normal")
    classified = [e for e in container.app.repository.event_store.get(tid) if type(e).__name__ == "Classified"]
    assert classified[0].rule.startswith("keywords:shipping")  # type: ignore[attr-defined]
    assert classified[0].meta["actor"]["kind"] == "worker"  # type: ignore[attr-defined]


def test_tickets_go_to_the_least_loaded_skilled_online_agent_in_turn(container: Container) -> None:
    app = container.app
    app.put_agent("ann", "Ann", ["shipping"], 5, True, META)
    app.put_agent("bob", "Bob", ["shipping", "refund"], 5, True, META)
    app.put_agent("cat", "Cat", ["shipping"], 5, False, META)
    tickets = [open_ticket(container, "Where is my parcel", f"tracking {i}") for i in range(4)]
    for tid in tickets:
        app.auto_assign_ticket(tid, ["ann", "bob", "cat"], BOT)
    assignees = [app.ticket(t).assignee for t in tickets]
    assert sorted(assignees) == ["ann", "ann", "bob", "bob"]  # type: ignore[type-var]
    assert "cat" not in assignees


def test_concurrent_assignment_never_exceeds_an_agents_capacity(container: Container) -> None:
    app = container.app
    app.put_agent("ann", "Ann", ["refund"], 3, True, META)
    tickets = [open_ticket(container, "Refund please", f"order {i} refund") for i in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda t: app.auto_assign_ticket(t, ["ann"], BOT), tickets))
    assert app.agent("ann").load == 3
    assert sum(app.ticket(t).assignee == "ann" for t in tickets) == 3
    resolved = next(t for t in tickets if app.ticket(t).assignee == "ann")
    app.resolve_ticket(resolved, "refunded", META)
    assert app.agent("ann").load == 2


def test_a_breached_first_response_raises_priority_and_reassigns_from_an_offline_agent(container: Container) -> None:
    app = container.app
    app.put_agent("ann", "Ann", ["payment"], 5, True, META)
    app.put_agent("bob", "Bob", ["payment"], 5, True, META)
    tid = open_ticket(container, "Payment failed", "my card was charged twice")
    app.auto_assign_ticket(tid, ["ann", "bob"], BOT)
    first = app.ticket(tid).assignee
    app.put_agent(first or "", first or "", ["payment"], 5, False, META)  # the assignee goes offline
    later = datetime.now(UTC) + timedelta(hours=9)
    app.escalate_ticket(tid, ["ann", "bob"], BOT, now=later)
    ticket = app.ticket(tid)
    assert ticket.priority == "high"
    assert ticket.assignee not in (None, first)
    assert ticket.escalations == ["first_response"]
    app.escalate_ticket(tid, ["ann", "bob"], BOT, now=later)
    assert app.ticket(tid).version == ticket.version  # one breach is escalated once


def test_time_waiting_on_the_customer_does_not_count_against_resolution(container: Container) -> None:
    app = container.app
    tid = open_ticket(container, "Question", "size of the shoes?")
    app.reply_ticket(tid, "agent", "Which size do you need?", META)
    ticket = app.ticket(tid)
    now = datetime.now(UTC) + timedelta(hours=100)
    assert ticket.sla(now)["breaches"] == []
    paused_due = ticket.sla(now)["resolution_due"]
    assert paused_due > ticket.sla(datetime.now(UTC))["resolution_due"]
