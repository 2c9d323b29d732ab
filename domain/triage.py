"""Ticket triage rules: category and priority from the text (English and Chinese) plus context, and the
agent choice. Pure functions over values; the rule set is data an operator can read and replace."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.ticket import PRIORITIES

DEFAULT_RULES: dict[str, Any] = {
    "categories": {
        "refund": ["refund", "money back", "reimburse", "退款", "退钱", "返还"],
        "return": ["return", "send back", "exchange", "退货", "换货", "退回"],
        "shipping": [
            "shipping",
            "delivery",
            "parcel",
            "package",
            "tracking",
            "courier",
            "where is my order",
            "not arrived",
            "快递",
            "物流",
            "包裹",
            "发货",
            "配送",
            "没收到",
            "还没到",
        ],
        "payment": [
            "payment",
            "charged",
            "card",
            "invoice",
            "paypal",
            "double charge",
            "付款",
            "支付",
            "扣款",
            "发票",
            "信用卡",
        ],
        "product": [
            "broken",
            "defect",
            "damaged",
            "size",
            "quality",
            "doesn't work",
            "not working",
            "manual",
            "质量",
            "坏了",
            "损坏",
            "尺寸",
            "不能用",
            "说明书",
        ],
        "complaint": [
            "complaint",
            "unacceptable",
            "terrible",
            "angry",
            "lawyer",
            "worst",
            "投诉",
            "差评",
            "太差",
            "生气",
            "律师",
        ],
    },
    # What the customer asks for (refund, return) wins a tie with the reason they give (quality, delivery...).
    "requests": ["refund", "return"],
    "urgent_words": ["urgent", "asap", "immediately", "lawyer", "紧急", "马上", "立刻", "着急", "律师"],
    "high_words": ["still", "again", "third time", "complaint", "又", "再次", "投诉"],
    "high_order_value": "500",
    "repeat_tickets_for_high": 2,
}


@dataclass(frozen=True)
class Classification:
    category: str
    priority: str
    confidence: float
    rule: str
    inputs: dict[str, Any] = field(default_factory=dict)
    model: str = "rules"
    version: str = "builtin"


def rules_version(rules: Mapping[str, Any]) -> str:
    """A short digest of the rule set, so a classification names the rules that made it."""
    canonical = json.dumps(rules, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def _hits(text: str, words: Sequence[str]) -> list[str]:
    return [w for w in words if w in text]


def _score(subject: str, body: str, words: Sequence[str]) -> int:
    """Keyword evidence: a word in the subject counts twice, each occurrence in the body once."""
    return sum(2 * subject.count(w) + body.count(w) for w in words)


def classify(  # the context a support lead would look at
    subject: str,
    body: str,
    order_total: Decimal | None = None,
    order_status: str | None = None,
    recent_tickets: int = 0,
    rules: Mapping[str, Any] = DEFAULT_RULES,
) -> Classification:
    """Category: the one with most keyword hits (subject counts twice), a request (refund, return) before a
    reason on a tie; confidence grows with the margin.
    Priority: urgent words → urgent; repeat contacts, complaint words or a large order → high."""
    text = f"{subject} {body}".lower()
    scores = {cat: _score(subject.lower(), body.lower(), words) for cat, words in rules["categories"].items()}
    requests = rules.get("requests", ())
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0] not in requests, kv[0]))
    best, best_score = ranked[0] if ranked else ("other", 0)
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    category = best if best_score else "other"
    confidence = 0.3 if not best_score else round(min(0.95, 0.5 + 0.15 * (best_score - runner_up)), 2)
    reasons = [f"keywords:{category}={best_score}"]
    priority = "normal"
    if _hits(text, rules["urgent_words"]):
        priority, reasons = "urgent", [*reasons, "urgent_words"]
    elif _hits(text, rules["high_words"]) or recent_tickets >= rules["repeat_tickets_for_high"]:
        priority, reasons = "high", [*reasons, "repeat_or_escalation_words"]
    if order_total is not None and order_total >= Decimal(rules["high_order_value"]) and priority == "normal":
        priority, reasons = "high", [*reasons, "high_order_value"]
    if category == "other" and priority == "normal" and order_status is None:
        priority = "low" if not body.strip() else "normal"
    inputs = {
        "scores": scores,
        "order_total": str(order_total) if order_total is not None else None,
        "order_status": order_status,
        "recent_tickets": recent_tickets,
    }
    return Classification(category, priority, confidence, "+".join(reasons), inputs, "rules", rules_version(rules))


def raise_priority(priority: str) -> str:
    index = PRIORITIES.index(priority)
    return PRIORITIES[min(index + 1, len(PRIORITIES) - 1)]


@dataclass(frozen=True)
class AgentView:
    code: str
    skills: tuple[str, ...]
    capacity: int
    online: bool
    load: int
    last_assigned_seq: int = 0


def choose_agent(category: str, agents: Sequence[AgentView], exclude: Sequence[str] = ()) -> AgentView | None:
    """Online, skilled for the category, with spare capacity; least loaded first, then the one assigned
    longest ago (round robin on ties), then the code."""
    eligible = [
        a for a in agents if a.online and category in a.skills and a.load < a.capacity and a.code not in exclude
    ]
    if not eligible:
        return None
    return min(eligible, key=lambda a: (a.load, a.last_assigned_seq, a.code))
