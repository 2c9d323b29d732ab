"""Domain rules: stock invariants, order lifecycle, tickets and agents, checked without any database."""

from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent, UUIDAsHex

from domain.base import Actor, DomainError, InsufficientStockError, InvalidQuantityError, InvalidTransitionError, Meta
from domain.order import Order, order_id
from domain.stock import Stock, Transfer
from domain.ticket import Agent, Ticket, sla_deadlines

META = Meta(actor=Actor("u1", "admin"), correlation_id="req-1", causation_id="evt-0")


def placed(lines: list[tuple[str, int, str]] | None = None) -> Order:
    rows = [
        {"sku": s, "quantity": q, "unit_price": Decimal(p), "currency": "EUR"}
        for s, q, p in lines or [("A", 2, "5.00")]
    ]
    return Order.place("web", "ext-1", {"id": "c1", "name": "Ann"}, rows, META)


def stocked(quantity: int) -> Stock:
    stock = Stock.open("A", "W1", META)
    stock.receive(quantity, "po-1", META)
    return stock


def test_every_event_carries_actor_correlation_causation_and_business_time() -> None:
    stock = stocked(5)
    for event in stock.collect_events():
        assert event.meta["actor"] == {"id": "u1", "role": "admin", "kind": "user"}  # type: ignore[attr-defined]
        assert event.meta["correlation_id"] == "req-1"  # type: ignore[attr-defined]
        assert event.meta["causation_id"] == "evt-0"  # type: ignore[attr-defined]
        assert event.meta["business_time"]  # type: ignore[attr-defined]


def test_reserving_more_than_available_is_refused_and_records_nothing() -> None:
    stock = stocked(3)
    stock.reserve("o1", 2, META)
    with pytest.raises(InsufficientStockError):
        stock.reserve("o2", 2, META)
    assert (stock.on_hand, stock.reserved, stock.available) == (3, 2, 1)
    assert stock.version == 3


def test_an_adjustment_may_not_take_on_hand_below_reserved() -> None:
    stock = stocked(5)
    stock.reserve("o1", 4, META)
    with pytest.raises(InsufficientStockError):
        stock.adjust(-2, "damaged", META)
    stock.adjust(-1, "damaged", META)
    assert stock.available == 0


@pytest.mark.parametrize("quantity", [0, -1, True, 1.5])
def test_quantities_must_be_positive_integers(quantity: object) -> None:
    with pytest.raises(InvalidQuantityError):
        stocked(1).receive(quantity, "x", META)  # type: ignore[arg-type]


def test_shipping_consumes_the_orders_reservation_before_free_stock() -> None:
    stock = stocked(10)
    stock.reserve("o1", 3, META)
    stock.ship("o1", 4, META)
    assert (stock.on_hand, stock.reserved, stock.reservations) == (6, 0, {})


def test_a_transfer_leaves_the_source_and_is_inbound_until_received() -> None:
    source, target = stocked(5), Stock.open("A", "W2", META)
    transfer = Transfer.dispatch(order_id("t", "1"), "A", "W1", "W2", 3, META)
    source.dispatch_transfer(str(transfer.id), "W2", 3, META)
    target.expect_transfer(str(transfer.id), "W1", 3, META)
    assert (source.on_hand, target.inbound, target.on_hand) == (2, 3, 0)
    assert transfer.receive(META) is True
    target.receive_transfer(str(transfer.id), 3, META)
    assert (target.inbound, target.on_hand) == (0, 3)
    assert transfer.receive(META) is False


def test_an_order_totals_its_lines_and_derives_its_id_from_channel_and_external_id() -> None:
    order = placed([("A", 2, "5.00"), ("B", 1, "2.50")])
    assert order.total == "12.50"
    assert order.id == order_id("web", "ext-1")
    assert order.status == "placed"


def test_an_order_rejects_mixed_currencies_duplicate_skus_and_empty_lines() -> None:
    with pytest.raises(DomainError):
        Order.place("web", "x", {}, [], META)
    dup = [{"sku": "A", "quantity": 1, "unit_price": Decimal(1), "currency": "EUR"}] * 2
    with pytest.raises(DomainError):
        Order.place("web", "x", {}, dup, META)
    mixed = [
        {"sku": "A", "quantity": 1, "unit_price": Decimal(1), "currency": "EUR"},
        {"sku": "B", "quantity": 1, "unit_price": Decimal(1), "currency": "USD"},
    ]
    with pytest.raises(DomainError):
        Order.place("web", "x", {}, mixed, META)


def test_a_cancelled_order_cannot_be_shipped_and_a_shipped_one_cannot_be_cancelled() -> None:
    cancelled = placed()
    assert cancelled.cancel("customer asked", META) is True
    assert cancelled.cancel("again", META) is False
    with pytest.raises(InvalidTransitionError):
        cancelled.ship("W1", "dhl", "T1", None, META)
    shipped = placed()
    shipped.ship("W1", "dhl", "T1", None, META)
    assert shipped.status == "shipped"
    with pytest.raises(InvalidTransitionError):
        shipped.cancel("too late", META)


def test_partial_shipments_then_delivery_then_a_full_return() -> None:
    order = placed([("A", 2, "5.00"), ("B", 1, "1.00")])
    order.ship("W1", "dhl", "T1", {"A": 2}, META)
    assert order.status == "partially_shipped"
    order.ship("W2", "ups", "T2", None, META)
    assert order.status == "shipped"
    order.deliver(META)
    order.return_lines({"A": 1}, "too big", META)
    assert order.status == "delivered"
    with pytest.raises(DomainError):
        order.return_lines({"A": 2}, "more than shipped", META)
    order.return_lines({"A": 1, "B": 1}, "rest", META)
    assert order.status == "returned"


def test_payments_must_match_currency_and_not_exceed_the_balance() -> None:
    order = placed()
    order.record_payment(Decimal("4.00"), "EUR", "psp-1", META)
    with pytest.raises(DomainError):
        order.record_payment(Decimal("1.00"), "USD", "psp-2", META)
    with pytest.raises(InvalidTransitionError):
        order.record_payment(Decimal("7.00"), "EUR", "psp-3", META)
    assert order.paid == "4.00"


def test_a_ticket_moves_through_assignment_replies_resolution_and_reopening() -> None:
    ticket = Ticket.open(order_id("t", "x"), "c1", None, "email", "Where is my parcel?", "包裹还没到", META)
    ticket.assign("agent-1", META, manual=True)
    assert ticket.status == "assigned"
    ticket.reply("agent", "On its way", META)
    assert ticket.status == "waiting_customer"
    ticket.reply("customer", "Thanks", META)
    assert ticket.status == "assigned"
    ticket.resolve(None, META)
    with pytest.raises(InvalidTransitionError):
        ticket.reply("customer", "hello?", META)
    ticket.reopen("not solved", META)
    assert ticket.status == "assigned"


def test_sla_deadlines_tighten_with_priority() -> None:
    opened = META.business_time
    urgent, normal = sla_deadlines(opened, "urgent"), sla_deadlines(opened, "normal")
    assert urgent[0] < normal[0]
    assert urgent[1] < normal[1]


def test_agents_only_take_known_skills() -> None:
    with pytest.raises(DomainError):
        Agent.register("a1", "Li", ["shipping", "astrology"], 5, True, META)
    agent = Agent.register("a1", "Li", ["shipping", "refund"], 5, True, META)
    agent.update("Li", ["refund", "shipping"], 5, True, META)
    assert agent.version == 1


def test_a_policy_recorded_before_the_safety_method_existed_reads_as_alpha() -> None:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    mapper: Mapper[UUID] = Mapper(transcoder=transcoder)
    v1_state = {
        "timestamp": "2026-01-01T00:00:00+00:00",
        "meta": {},
        "safety_factor": "0.5",
        "lead_time_days": 3,
        "review_days": 7,
        "min_order_qty": 10,
    }
    stored = StoredEvent(uuid4(), 2, Stock.PolicySet.TOPIC, transcoder.encode(v1_state))
    event = mapper.to_domain_event(stored)
    assert (event.safety_method, event.service_level) == ("alpha", "0.95")  # type: ignore[attr-defined]
    assert b"class_version" in mapper.to_stored_event(event).state  # new events are stored as v2
