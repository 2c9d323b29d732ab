"""Ticket, replenishment and transfer commands of the ShopOps application on in-memory persistence: triage and
assignment within agent capacity, SLA escalation on an injected clock, reorder and transfers (no database)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from application.shopops import ShopOps
from domain.base import DomainError, InsufficientStockError, InvalidTransitionError, UnknownReferenceError
from domain.replenishment import DemandForecast
from domain.ticket import sla_deadlines
from domain.triage import classify
from tests.unit.conftest import META

AGENTS = ["ann", "bob", "cat"]
POLICY = {"safety_factor": 0.5, "lead_time_days": 5, "review_days": 2, "min_order_qty": 10}
FORECAST_4 = DemandForecast(4.0, 1.0, 1, "test", "2026-01-01T00:00:00+00:00")  # reorder point 42, target 50


def ticket(shop: ShopOps, subject: str = "Where is my parcel?", body: str = "tracking has not moved") -> UUID:
    """Open a ticket and record its triage decision, as the tickets worker does."""
    tid = UUID(str(shop.open_ticket("cust-1", None, "email", subject, body, META).aggregate.id))
    shop.classify_ticket(tid, classify(subject, body), META)
    return tid


def route(shop: ShopOps, tid: UUID) -> str | None:
    assignee: str | None = shop.auto_assign_ticket(tid, AGENTS, META).aggregate.assignee
    return assignee


def test_a_ticket_goes_to_the_least_loaded_online_agent_with_the_skill(shop: ShopOps) -> None:
    shop.put_agent("ann", "Ann", ["shipping"], 5, True, META)
    shop.put_agent("bob", "Bob", ["shipping"], 5, False, META)  # offline
    shop.put_agent("cat", "Cat", ["refund"], 5, True, META)  # no shipping skill
    first, second = ticket(shop), ticket(shop)
    assert shop.ticket(first).category == "shipping"
    assert (route(shop, first), route(shop, second)) == ("ann", "ann")
    assert shop.agent("ann").tickets == [str(first), str(second)]


def test_tickets_alternate_between_equally_loaded_agents(shop: ShopOps) -> None:
    shop.put_agent("ann", "Ann", ["shipping"], 5, True, META)
    shop.put_agent("bob", "Bob", ["shipping"], 5, True, META)
    assert [route(shop, ticket(shop)) for _ in range(4)] == ["ann", "bob", "ann", "bob"]


def test_an_agent_at_capacity_gets_no_more_and_resolving_one_frees_a_place(shop: ShopOps) -> None:
    shop.put_agent("ann", "Ann", ["refund"], 2, True, META)
    tickets = [ticket(shop, "Refund please", f"order {i} refund") for i in range(3)]
    assert [route(shop, t) for t in tickets] == ["ann", "ann", None]
    assert (shop.agent("ann").load, shop.ticket(tickets[2]).status) == (2, "open")
    shop.resolve_ticket(tickets[0], "refunded", META)
    assert shop.agent("ann").load == 1
    assert route(shop, tickets[2]) == "ann"
    assert shop.agent("ann").load == 2


def test_an_unclassified_ticket_waits_for_triage_before_it_is_assigned(shop: ShopOps) -> None:
    shop.put_agent("ann", "Ann", ["shipping"], 5, True, META)
    tid = UUID(str(shop.open_ticket("c", None, "web", "Parcel?", "where is it", META).aggregate.id))
    assert route(shop, tid) is None


def test_a_manual_assignment_moves_the_ticket_and_its_load_to_the_other_agent(shop: ShopOps) -> None:
    shop.put_agent("ann", "Ann", ["shipping"], 1, True, META)
    shop.put_agent("bob", "Bob", ["refund"], 1, True, META)
    tid = ticket(shop)
    route(shop, tid)
    shop.assign_ticket(tid, "bob", META)  # an operator's override: skills and capacity are not enforced
    assert (shop.ticket(tid).assignee, shop.agent("ann").load, shop.agent("bob").load) == ("bob", 0, 1)
    with pytest.raises(UnknownReferenceError):
        shop.assign_ticket(tid, "zed", META)


def test_a_missed_first_response_raises_priority_and_reassigns_from_an_offline_agent_once(shop: ShopOps) -> None:
    shop.put_agent("ann", "Ann", ["shipping"], 5, True, META)
    shop.put_agent("bob", "Bob", ["shipping"], 5, True, META)
    tid = ticket(shop)
    assert route(shop, tid) == "ann"
    shop.put_agent("ann", "Ann", ["shipping"], 5, False, META)  # goes offline before answering
    first_due, _ = sla_deadlines(shop.ticket(tid).created_on, "normal")
    shop.escalate_ticket(tid, AGENTS, META, now=first_due - timedelta(seconds=1))  # injected clock: not yet due
    assert shop.ticket(tid).escalations == []
    later = first_due + timedelta(seconds=1)
    shop.escalate_ticket(tid, AGENTS, META, now=later)
    escalated = shop.ticket(tid)
    assert (escalated.priority, escalated.assignee, escalated.escalations) == ("high", "bob", ["first_response"])
    assert (shop.agent("ann").load, shop.agent("bob").load) == (0, 1)
    shop.escalate_ticket(tid, AGENTS, META, now=later)
    assert shop.ticket(tid).version == escalated.version


def test_a_resolved_ticket_reopened_goes_back_on_its_agents_load(shop: ShopOps) -> None:
    shop.put_agent("ann", "Ann", ["shipping"], 5, True, META)
    tid = ticket(shop)
    route(shop, tid)
    shop.resolve_ticket(tid, "found it", META)
    assert (shop.ticket(tid).status, shop.agent("ann").load) == ("resolved", 0)
    shop.reopen_ticket(tid, "not found after all", META)
    assert (shop.ticket(tid).status, shop.agent("ann").load) == ("assigned", 1)


def test_stock_below_its_reorder_point_opens_one_purchase_and_receiving_it_restocks(shop: ShopOps) -> None:
    shop.receive_stock("A", "W1", 3, "po-1", META)
    shop.set_stock_policy("A", "W1", POLICY, META)
    opened = shop.evaluate_reorder("A", "W1", ["W1"], META, forecast=FORECAST_4).aggregate
    assert (opened.kind, opened.quantity, opened.decision["reorder_point"]) == ("purchase", 47, 42.0)
    assert shop.evaluate_reorder("A", "W1", ["W1"], META, forecast=FORECAST_4).aggregate is None  # already open
    shop.order_replenishment(opened.id, "PO-7", META)
    shop.receive_replenishment(opened.id, None, META)
    assert (shop.stock("A", "W1").on_hand, shop.stock("A", "W1").open_replenishment) == (50, None)
    assert shop.replenishment(opened.id).status == "received"
    assert shop.evaluate_reorder("A", "W1", ["W1"], META, forecast=FORECAST_4).aggregate is None  # above it now


def test_nothing_is_raised_without_a_policy(shop: ShopOps) -> None:
    shop.receive_stock("A", "W1", 1, "po-1", META)
    assert shop.evaluate_reorder("A", "W1", ["W1"], META, forecast=FORECAST_4).aggregate is None


def test_a_warehouse_with_surplus_is_asked_for_a_transfer_that_arrives_on_receipt(shop: ShopOps) -> None:
    shop.receive_stock("A", "W1", 3, "po-1", META)
    shop.receive_stock("A", "W2", 20, "po-2", META)  # no policy there: all of it is spare
    shop.set_stock_policy("A", "W1", POLICY, META)
    opened = shop.evaluate_reorder("A", "W1", ["W1", "W2"], META, forecast=FORECAST_4).aggregate
    assert (opened.kind, opened.source_warehouse, opened.quantity) == ("transfer", "W2", 20)
    shop.order_replenishment(opened.id, "TR-1", META)
    assert (shop.stock("A", "W2").on_hand, shop.stock("A", "W1").inbound) == (0, 20)
    shop.receive_replenishment(opened.id, None, META)
    assert (shop.stock("A", "W1").on_hand, shop.stock("A", "W1").inbound) == (23, 0)


def test_a_cancelled_purchase_lets_the_sku_reorder_and_cannot_be_received(shop: ShopOps) -> None:
    shop.receive_stock("A", "W1", 3, "po-1", META)
    shop.set_stock_policy("A", "W1", POLICY, META)
    opened = shop.evaluate_reorder("A", "W1", ["W1"], META, forecast=FORECAST_4).aggregate
    shop.cancel_replenishment(opened.id, "supplier out", META)
    with pytest.raises(InvalidTransitionError):
        shop.receive_replenishment(opened.id, None, META)
    assert shop.evaluate_reorder("A", "W1", ["W1"], META, forecast=FORECAST_4).aggregate is not None


def test_a_transfer_leaves_the_source_now_and_arrives_once_however_often_it_is_received(shop: ShopOps) -> None:
    shop.receive_stock("A", "W1", 10, "po-1", META)
    transfer = shop.start_transfer("A", "W1", "W3", 4, META).aggregate
    assert (shop.stock("A", "W1").on_hand, shop.stock("A", "W3").inbound, shop.stock("A", "W3").on_hand) == (6, 4, 0)
    shop.receive_transfer(transfer.id, META)
    shop.receive_transfer(transfer.id, META)
    assert (shop.stock("A", "W3").inbound, shop.stock("A", "W3").on_hand) == (0, 4)


def test_a_transfer_needs_two_warehouses_known_ones_and_the_units_available(shop: ShopOps) -> None:
    shop.receive_stock("A", "W1", 2, "po-1", META)
    before = shop.position()
    with pytest.raises(DomainError, match="two different"):
        shop.start_transfer("A", "W1", "W1", 1, META)
    with pytest.raises(UnknownReferenceError):
        shop.start_transfer("A", "W1", "W9", 1, META)
    with pytest.raises(InsufficientStockError):
        shop.start_transfer("A", "W1", "W2", 3, META)
    assert shop.position() == before
