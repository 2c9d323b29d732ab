"""Reply drafts: the ticket's language, and a first reply rendered from operator templates and order facts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from string import Template
from typing import Any

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

FACTS = ("order", "status", "carrier", "tracking_number", "shipped_at", "refund_status")
"""The order facts a template may use, as `${name}`; a fact that is not known renders as the `unknown` text."""


@dataclass(frozen=True)
class SuggestedReply:
    language: str
    body: str
    facts: dict[str, str | None]


def detect_language(text: str) -> str:
    """'zh' when Chinese characters carry the text (at least as many as Latin words), else 'en'.

    Order numbers, SKUs and product names in Latin letters inside a Chinese ticket do not make it English."""
    cjk = len(_CJK.findall(text))
    return "zh" if cjk and cjk >= len(_LATIN_WORD.findall(text)) else "en"


def render_reply(
    category: str, language: str, facts: Mapping[str, str | None], templates: Mapping[str, Any]
) -> SuggestedReply | None:
    """The template for the category in the ticket's language (English when that language has none), with the
    facts filled in; None when the operator's templates have no reply for the category."""
    by_language = templates.get("templates", {}).get(category)
    if not by_language:
        return None
    language = language if language in by_language else "en"
    text = by_language.get(language)
    if text is None:
        return None
    values = {name: _shown(name, facts.get(name), language, templates) for name in FACTS}
    body = Template(text).safe_substitute(values)
    return SuggestedReply(language, body, {name: facts.get(name) for name in FACTS})


def _shown(name: str, value: str | None, language: str, templates: Mapping[str, Any]) -> str:
    """A fact as the customer reads it: statuses through the operator's labels, unknown facts as `unknown`."""
    if value is None or value == "":
        return str(templates.get("unknown", {}).get(language, "-"))
    labels = templates.get("labels", {}).get(name, {}).get(language, {})
    return str(labels.get(value, value))
