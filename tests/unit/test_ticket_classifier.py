"""The ticket classifier on the shipped labelled set: a fixed split, a model that beats the rules on tickets it
never saw, and mixed intents (a request with a reason) that resolve to the request in both languages."""

from __future__ import annotations

from collections import Counter
from typing import get_args

import pytest

from api.schemas import TicketCategory
from domain.ticket import CATEGORIES
from domain.triage import DEFAULT_RULES, classify, rules_version
from infrastructure.classification.dataset import digest, shipped_examples, split
from infrastructure.classification.model import (
    TicketModel,
    cross_validated,
    evaluate,
    rules_predictions,
    scores,
    shipped_evidence,
    shipped_model,
    train,
)

MIXED_INTENTS = [
    ("退款", "我要退款，商品有质量问题，请尽快处理", "refund"),
    ("申请退款", "耳机坏了，质量太差，不能用，我要退款", "refund"),
    ("Refund please", "The blender arrived broken, the quality is awful. I want my money back.", "refund"),
    ("Damaged kettle", "The kettle is damaged and doesn't work. I want a refund, not a replacement.", "refund"),
    ("退货", "衣服尺寸不对，质量也一般，我要退货", "return"),
    ("换货", "收到的台灯坏了，麻烦给我换货", "return"),
    ("Return", "The shoes are the wrong size and the stitching is defective. How do I return them?", "return"),
    ("Exchange", "Screen is broken on arrival, please exchange it for a new one", "return"),
]


@pytest.fixture(scope="module")
def held_out_model() -> tuple[TicketModel, list]:  # type: ignore[type-arg]
    train_part, held_out = split(shipped_examples())
    return train(train_part, DEFAULT_RULES), held_out


def test_the_shipped_set_has_over_300_tickets_in_both_languages_and_every_category() -> None:
    examples = shipped_examples()
    languages = Counter(e.language for e in examples)
    assert len(examples) >= 300
    assert 0.4 <= languages["zh"] / len(examples) <= 0.6
    assert {(c, lang) for c in CATEGORIES for lang in ("en", "zh")} == {(e.category, e.language) for e in examples}


def test_the_split_is_deterministic_and_holds_out_every_category_in_both_languages() -> None:
    train_part, held_out = split(shipped_examples())
    again_train, again_held_out = split(reversed(shipped_examples()))
    assert (digest(train_part), digest(held_out)) == (digest(again_train), digest(again_held_out))
    assert len(train_part) + len(held_out) == len(shipped_examples())
    assert {(e.category, e.language) for e in held_out} == {(c, lang) for c in CATEGORIES for lang in ("en", "zh")}
    assert not {e.key for e in train_part} & {e.key for e in held_out}


def test_the_model_beats_the_rules_on_held_out_tickets_in_accuracy_and_macro_f1(held_out_model) -> None:  # type: ignore[no-untyped-def]
    model, held_out = held_out_model
    report = evaluate(model, held_out, DEFAULT_RULES)
    assert report["model"]["accuracy"] >= report["rules"]["accuracy"] + 0.03
    assert report["model"]["macro_f1"] >= report["rules"]["macro_f1"] + 0.03
    assert report["model"]["accuracy"] >= 0.8


def test_the_model_is_used_because_its_cross_validated_accuracy_beats_the_rules(held_out_model) -> None:  # type: ignore[no-untyped-def]
    model, _ = held_out_model
    assert model.cv_accuracy > model.rules_accuracy
    assert model.active
    assert model.version.startswith("0.")
    assert set(model.metrics) == {"model_cv", "rules"}


def test_a_model_that_does_not_beat_the_rules_is_not_used(held_out_model) -> None:  # type: ignore[no-untyped-def]
    model, _ = held_out_model
    tied = TicketModel(model.version, model.pipeline, model.examples, cv_accuracy=0.7, rules_accuracy=0.7)
    assert not tied.active


@pytest.mark.parametrize(("subject", "body", "expected"), MIXED_INTENTS)
def test_mixed_intents_resolve_to_the_customers_request(held_out_model, subject: str, body: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    model, _ = held_out_model
    category, confidence, top = model.predict(subject, body)
    assert category == expected, top
    assert 0 < confidence <= 1


def test_the_rules_give_a_tie_between_request_and_reason_to_the_request() -> None:
    decision = classify("订单问题", "我要退款，商品有质量问题，请尽快处理")
    assert decision.inputs["scores"]["refund"] == decision.inputs["scores"]["product"] == 1
    assert decision.category == "refund"
    assert classify("Question", "the quality is poor, i want to return it").category == "return"
    assert (decision.model, len(decision.version)) == ("rules", 12)


def test_the_api_offers_exactly_the_domains_categories() -> None:
    assert get_args(TicketCategory) == CATEGORIES


def test_the_recorded_evidence_of_the_shipped_set_equals_a_fresh_cross_validation() -> None:
    examples = list(shipped_examples())
    evidence = shipped_evidence()
    assert (evidence["data"], evidence["rules"]) == (digest(examples), rules_version(DEFAULT_RULES))
    assert cross_validated(examples, DEFAULT_RULES).accuracy == pytest.approx(evidence["cv_accuracy"], abs=1e-6)
    rules = scores([e.category for e in examples], rules_predictions(examples, DEFAULT_RULES))
    assert rules.accuracy == pytest.approx(evidence["rules_accuracy"], abs=1e-6)
    model = shipped_model(DEFAULT_RULES)
    assert (model.version, model.active) == (f"0.{evidence['data']}", True)
