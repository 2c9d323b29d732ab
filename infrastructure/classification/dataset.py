"""Labelled tickets: the set shipped with shopops (written for it, Chinese and English) and its fixed split."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

SHIPPED = "tickets_labelled.jsonl"
HELD_OUT_EVERY = 4  # one ticket in four of each category × language is held out


@dataclass(frozen=True)
class Example:
    subject: str
    body: str
    category: str
    language: str = ""

    @property
    def text(self) -> str:
        return ticket_text(self.subject, self.body)

    @property
    def key(self) -> str:
        """A stable fingerprint of the ticket: orders the split and names the training data."""
        return hashlib.sha256(f"{self.subject}\n{self.body}\n{self.category}".encode()).hexdigest()


def ticket_text(subject: str, body: str) -> str:
    return f"{subject}\n{body}"


@lru_cache(maxsize=1)
def shipped_examples() -> tuple[Example, ...]:
    """The labelled set that installs with the package (see docs/tickets.md for how it was written)."""
    text = resources.files(__package__).joinpath(SHIPPED).read_text(encoding="utf-8")
    return tuple(Example(**json.loads(line)) for line in text.splitlines() if line.strip())


def split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """(train, held_out), deterministic: within each category × language, tickets ordered by their fingerprint
    and every fourth held out, so both parts cover every category in both languages."""
    groups: dict[tuple[str, str], list[Example]] = {}
    for example in examples:
        groups.setdefault((example.category, example.language), []).append(example)
    train: list[Example] = []
    held_out: list[Example] = []
    for _, group in sorted(groups.items()):
        for n, example in enumerate(sorted(group, key=lambda e: e.key)):
            (held_out if n % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 else train).append(example)
    return train, held_out


def digest(examples: Sequence[Example]) -> str:
    """Names a training set: the same tickets and labels, in any order, give the same digest."""
    return hashlib.sha256("".join(sorted(e.key for e in examples)).encode()).hexdigest()[:8]
