"""Rules vs the learned ticket classifier on the held-out part of the shipped labelled set; JSON on stdout.

    .venv/bin/python benchmarks/ticket_classifier.py

Reports accuracy and macro-F1 of the keyword rules before the tie fix (the alphabet broke ties), of today's
rules (requests win ties), and of the model trained on the train part only, plus the model's cross-validated
accuracy on the train part (the figure that decides whether the model is used), per language and category.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from sklearn.metrics import f1_score

from domain.triage import DEFAULT_RULES
from infrastructure.classification.dataset import Example, shipped_examples, split
from infrastructure.classification.model import TicketModel, rules_predictions, scores, train

RULES_BEFORE_TIE_FIX = {**DEFAULT_RULES, "requests": []}


def _report(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    labels = sorted(set(truth))
    per_category = f1_score(truth, predicted, labels=labels, average=None, zero_division=0)
    return {
        **scores(truth, predicted).as_dict(),
        "f1_per_category": {c: round(float(f), 3) for c, f in zip(labels, per_category, strict=True)},
    }


def _compare(model: TicketModel, held_out: Sequence[Example]) -> dict[str, Any]:
    truth = [e.category for e in held_out]
    return {
        "tickets": len(held_out),
        "rules_before_tie_fix": _report(truth, rules_predictions(held_out, RULES_BEFORE_TIE_FIX)),
        "rules": _report(truth, rules_predictions(held_out, DEFAULT_RULES)),
        "model": _report(truth, [model.predict(e.subject, e.body)[0] for e in held_out]),
    }


def main() -> int:
    train_part, held_out = split(shipped_examples())
    started = time.perf_counter()
    model = train(train_part, DEFAULT_RULES)
    seconds = time.perf_counter() - started
    result = {
        "model": model.name,
        "version": model.version,
        "train_tickets": len(train_part),
        "train_seconds_with_cross_validation": round(seconds, 2),
        "cross_validated_on_train": model.metrics,
        "used": model.active,
        "held_out": _compare(model, held_out),
        "held_out_by_language": {
            language: _compare(model, [e for e in held_out if e.language == language]) for language in ("en", "zh")
        },
    }
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
