"""An agent's recategorisation on the Ticket aggregate, and classifications recorded before models were named."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent, UUIDAsHex

from domain.base import Actor, DomainError, Meta
from domain.ticket import Ticket

AGENT = Meta(actor=Actor(id="li", role="support"), correlation_id="req-1")


def opened() -> Ticket:
    return Ticket.open(uuid4(), "cust-1", None, "email", "退款", "我要退款，商品有质量问题", AGENT)


def test_an_agent_corrects_the_category_and_the_event_names_the_agent_and_the_previous_category() -> None:
    ticket = opened()
    ticket.classify("product", "normal", 0.5, "keywords:product=1", {}, AGENT, model="rules", version="abc")
    ticket.recategorise("refund", AGENT)
    event = ticket.collect_events()[-1]
    assert isinstance(event, Ticket.Recategorised)
    assert (event.category, event.previous, event.meta["actor"]["id"]) == ("refund", "product", "li")
    assert (ticket.category, ticket.category_confirmed) == ("refund", True)
    assert ticket.classification == {"category": "product", "confidence": 0.5, "model": "rules", "version": "abc"}


def test_an_unknown_category_is_refused_and_nothing_is_recorded() -> None:
    ticket = opened()
    with pytest.raises(DomainError):
        ticket.recategorise("cooking", AGENT)
    assert len(ticket.collect_events()) == 1


def test_a_classification_recorded_before_models_were_named_reads_as_the_rules() -> None:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    mapper: Mapper[UUID] = Mapper(transcoder=transcoder)
    v1_state = {
        "timestamp": "2026-01-01T00:00:00+00:00",
        "meta": {},
        "category": "shipping",
        "priority": "normal",
        "confidence": 0.65,
        "rule": "keywords:shipping=1",
        "inputs": {},
    }
    stored = StoredEvent(uuid4(), 2, Ticket.Classified.TOPIC, transcoder.encode(v1_state))
    event = mapper.to_domain_event(stored)
    assert isinstance(event, Ticket.Classified)
    assert (event.model, event.version) == ("rules", "builtin")
