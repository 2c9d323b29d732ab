"""The learned ticket model: character n-gram TF-IDF (Chinese needs no word segmentation) and a logistic
regression; trained with the rules' keywords as extra short examples, scored by cross-validation against the
rules on the same tickets, and used only when it beats them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from domain.triage import classify, rules_version
from infrastructure.classification.dataset import Example, digest, shipped_examples

MODEL_NAME = "tfidf-char-logreg"
EVIDENCE = "shipped_evidence.json"  # the shipped set's cross-validation, kept equal to a fresh run by a test
FOLDS = 5
SEED = 0


@dataclass(frozen=True)
class Scores:
    accuracy: float
    macro_f1: float

    def as_dict(self) -> dict[str, float]:
        return {"accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4)}


@dataclass
class TicketModel:
    """A trained, versioned model with the evidence for using it (`active`: it beat the rules)."""

    version: str
    pipeline: Pipeline
    examples: int
    cv_accuracy: float
    rules_accuracy: float
    name: str = MODEL_NAME
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.cv_accuracy > self.rules_accuracy

    def predict(self, subject: str, body: str) -> tuple[str, float, dict[str, float]]:
        """(category, confidence, the three likeliest categories with their probabilities)."""
        with threadpool_limits(1):
            probabilities = self.pipeline.predict_proba([f"{subject}\n{body}"])[0]
        ranked = sorted(zip(self.pipeline.classes_, probabilities, strict=True), key=lambda cp: -cp[1])
        top = {str(c): round(float(p), 4) for c, p in ranked[:3]}
        return str(ranked[0][0]), round(float(ranked[0][1]), 4), top


def new_pipeline() -> Pipeline:
    return Pipeline(
        [
            ("tfidf", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, lowercase=True)),
            ("linear", LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced")),
        ]
    )


def keyword_examples(rules: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The rules' keywords as tiny labelled documents: the operator's vocabulary seeds the model."""
    return [(word, category) for category, words in rules["categories"].items() for word in words]


def fit(examples: Sequence[Example], rules: Mapping[str, Any]) -> Pipeline:
    seeds = keyword_examples(rules)
    texts = [e.text for e in examples] + [word for word, _ in seeds]
    labels = [e.category for e in examples] + [category for _, category in seeds]
    pipeline = new_pipeline()
    with threadpool_limits(1):  # small data: threads only contend with the other workers
        pipeline.fit(texts, labels)
    return pipeline


def rules_predictions(examples: Sequence[Example], rules: Mapping[str, Any]) -> list[str]:
    return [classify(e.subject, e.body, rules=rules).category for e in examples]


def scores(truth: Sequence[str], predicted: Sequence[str]) -> Scores:
    return Scores(
        float(accuracy_score(truth, predicted)), float(f1_score(truth, predicted, average="macro", zero_division=0))
    )


def cross_validated(examples: Sequence[Example], rules: Mapping[str, Any]) -> Scores:
    """Out-of-fold predictions of the model over `examples` (stratified folds, fixed seed); the keywords
    join every training fold, never a test fold."""
    labels = [e.category for e in examples]
    smallest = min(labels.count(c) for c in set(labels))
    folds = StratifiedKFold(n_splits=max(2, min(FOLDS, smallest)), shuffle=True, random_state=SEED)
    predicted = [""] * len(examples)
    for train_index, test_index in folds.split(labels, labels):
        pipeline = fit([examples[i] for i in train_index], rules)
        with threadpool_limits(1):
            out = pipeline.predict([examples[i].text for i in test_index])
        for i, category in zip(test_index, out, strict=True):
            predicted[i] = str(category)
    return scores(labels, predicted)


def train(examples: Sequence[Example], rules: Mapping[str, Any], number: int = 0) -> TicketModel:
    """Cross-validate against the rules, then fit on everything. Version `<number>.<digest of the data>`."""
    validated = cross_validated(examples, rules)
    rules_scores = scores([e.category for e in examples], rules_predictions(examples, rules))
    model = fitted(examples, rules, number, validated.accuracy, rules_scores.accuracy)
    model.metrics = {"model_cv": validated.as_dict(), "rules": rules_scores.as_dict()}
    return model


def fitted(
    examples: Sequence[Example], rules: Mapping[str, Any], number: int, cv_accuracy: float, rules_accuracy: float
) -> TicketModel:
    """A model fitted on `examples` whose evidence was measured before (a worker loading a recorded version)."""
    return TicketModel(
        version=f"{number}.{digest(examples)}",
        pipeline=fit(examples, rules),
        examples=len(examples),
        cv_accuracy=cv_accuracy,
        rules_accuracy=rules_accuracy,
    )


def evaluate(model: TicketModel, held_out: Sequence[Example], rules: Mapping[str, Any]) -> dict[str, Any]:
    """Rules vs model on tickets neither has seen: accuracy and macro-F1."""
    truth = [e.category for e in held_out]
    predicted = [model.predict(e.subject, e.body)[0] for e in held_out]
    return {
        "rules": scores(truth, rules_predictions(held_out, rules)).as_dict(),
        "model": scores(truth, predicted).as_dict(),
    }


def shipped_evidence() -> dict[str, Any]:
    text = resources.files(__package__).joinpath(EVIDENCE).read_text(encoding="utf-8")
    evidence: dict[str, Any] = json.loads(text)
    return evidence


def shipped_model(rules: Mapping[str, Any]) -> TicketModel:
    """The model of a fresh install, trained at start: one fit when the recorded evidence is for this very data
    and these rules (a worker starts in about a second), the full cross-validation otherwise (custom rules)."""
    examples = list(shipped_examples())
    evidence = shipped_evidence()
    if (evidence["data"], evidence["rules"]) != (digest(examples), rules_version(rules)):
        return train(examples, rules)
    return fitted(examples, rules, 0, float(evidence["cv_accuracy"]), float(evidence["rules_accuracy"]))
