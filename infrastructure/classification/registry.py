"""Model versions in PostgreSQL and the model a process classifies with.

No model file is stored anywhere: a version row records the agents' labels it learned from (ticket ids and
categories) and its cross-validated evidence; any process rebuilds the same model from the shipped set plus those
tickets' texts (read from the event log). A fresh install has no row and trains from the shipped set at start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from psycopg import Connection
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from domain.triage import Classification, classify
from infrastructure.classification.dataset import Example, digest, shipped_examples

if TYPE_CHECKING:
    from infrastructure.classification.model import TicketModel

log = logging.getLogger("shopops.classifier")

Pool = ConnectionPool[Connection[Any]]
TextLoader = Callable[[str], tuple[str, str] | None]
"""Ticket id → (subject, body), or None when the ticket cannot be read."""


@dataclass(frozen=True)
class VersionRow:
    version: int
    digest: str
    labels: list[tuple[str, str]]
    cv_accuracy: float
    rules_accuracy: float


def labelled_tickets(pool: Pool) -> list[tuple[str, str]]:
    """(ticket id, category) of every ticket whose category an agent confirmed or corrected."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT id, category FROM ticket_queue WHERE labelled_at IS NOT NULL ORDER BY labelled_at, id"
        ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def latest_version(pool: Pool) -> VersionRow | None:
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT version, digest, labels, cv_accuracy, rules_accuracy FROM ticket_classifier_models "
            "ORDER BY version DESC LIMIT 1"
        ).fetchone()
    if row is None:
        return None
    return VersionRow(int(row[0]), str(row[1]), [(str(t), str(c)) for t, c in row[2]], float(row[3]), float(row[4]))


def record_version(pool: Pool, model: TicketModel, labels: list[tuple[str, str]], job_id: int | None) -> int:
    with pool.connection() as conn:
        row = conn.execute(
            "INSERT INTO ticket_classifier_models (digest, labels, examples, cv_accuracy, rules_accuracy, active, "
            "job_id) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING version",
            (
                model.version.split(".")[-1],
                Jsonb([list(label) for label in labels]),
                model.examples,
                model.cv_accuracy,
                model.rules_accuracy,
                model.active,
                job_id,
            ),
        ).fetchone()
    assert row is not None  # noqa: S101 - INSERT ... RETURNING returns the row
    return int(row[0])


class ModelRegistry:
    """The process's current model: rebuilt when a newer version is recorded, so every worker process
    classifies with the latest trained version."""

    def __init__(self, pool: Pool, load_text: TextLoader, rules: Mapping[str, Any]) -> None:
        self.pool = pool
        self.load_text = load_text
        self.rules = rules
        self._lock = threading.Lock()
        self._model: TicketModel | None = None
        self._number = -1

    def current(self) -> TicketModel:
        """The latest version, built now if this process does not have it yet (waits for a build under way)."""
        model = self._latest(wait=True)
        assert model is not None  # noqa: S101 - a blocking call always builds
        return model

    def _latest(self, wait: bool) -> TicketModel | None:
        """The latest version; without `wait`, the model this process already has (None before the first)
        while a background thread builds the latest, so triage never stalls behind training."""
        latest = latest_version(self.pool)
        number = latest.version if latest else 0
        if self._model is not None and self._number == number:
            return self._model
        if not wait:
            if not self._lock.locked():
                threading.Thread(target=self.current, name="classifier-build", daemon=True).start()
            return self._model
        self._lock.acquire()
        try:
            if self._model is None or self._number != number:
                self._model = self._build(latest)
                self._number = number
                log.info("ticket model %s, active: %s", self._model.version, self._model.active)
            return self._model
        finally:
            self._lock.release()

    def _build(self, row: VersionRow | None) -> TicketModel:
        # scikit-learn loads in the thread that trains, never in a worker's start-up path (workers start fast)
        from infrastructure.classification.model import fitted, shipped_model

        if row is None:  # a fresh install: the shipped set, with its cross-validated evidence
            return shipped_model(self.rules)
        examples = self.examples(row.labels)
        return fitted(examples, self.rules, row.version, row.cv_accuracy, row.rules_accuracy)

    def examples(self, labels: list[tuple[str, str]]) -> list[Example]:
        """The shipped set plus the agents' labelled tickets (those whose text can still be read)."""
        learned = []
        for ticket_id, category in labels:
            text = self.load_text(ticket_id)
            if text is not None:
                learned.append(Example(text[0], text[1], category))
        return [*shipped_examples(), *learned]

    def retrain(self, job_id: int | None = None) -> dict[str, Any]:
        """Train on the shipped set and every labelled ticket; record a new version unless nothing changed."""
        labels = labelled_tickets(self.pool)
        examples = self.examples(labels)
        latest = latest_version(self.pool)
        if latest is not None and latest.digest == digest(examples):
            return {"version": latest.version, "unchanged": True, "labels": len(labels)}
        from infrastructure.classification.model import train

        model = train(examples, self.rules, (latest.version if latest else 0) + 1)
        number = record_version(self.pool, model, labels, job_id)
        return {"version": number, "labels": len(labels), "active": model.active, **model.metrics}

    def classify(
        self, subject: str, body: str, rules_decision: Classification | None = None, **context: Any
    ) -> Classification:
        """The rules decide the priority; the model decides the category when it beat the rules (and while a
        process trains its first model, the rules decide the category too)."""
        decision = rules_decision or classify(subject, body, rules=self.rules, **context)
        model = self._latest(wait=False)
        if model is None:  # the worker is still training its first model (it started moments ago)
            return replace(decision, inputs={**decision.inputs, "gate": {"used": False, "reason": "model training"}})
        evidence = {
            "model": model.name,
            "model_version": model.version,
            "cv_accuracy": round(model.cv_accuracy, 4),
            "rules_accuracy": round(model.rules_accuracy, 4),
        }
        if not model.active:
            return replace(decision, inputs={**decision.inputs, "gate": {**evidence, "used": False}})
        category, confidence, top = model.predict(subject, body)
        inputs = {**decision.inputs, "gate": {**evidence, "used": True}, "rules_category": decision.category}
        return replace(
            decision,
            category=category,
            confidence=confidence,
            rule="+".join([f"model:{model.name}", *decision.rule.split("+")[1:]]),  # and the priority's reasons
            inputs={**inputs, "probabilities": top},
            model=model.name,
            version=model.version,
        )
