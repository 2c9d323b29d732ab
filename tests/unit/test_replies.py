"""Reply drafts: the ticket's language, and templates (operator data) rendered with the order's facts."""

from __future__ import annotations

from domain.replies import detect_language, render_reply
from infrastructure.replies.drafts import load_templates

FACTS: dict[str, str | None] = {
    "order": "E-3",
    "status": "shipped",
    "carrier": "DHL",
    "tracking_number": "JD0001",
    "shipped_at": "2026-03-02",
    "refund_status": None,
}


def test_the_language_is_chinese_when_chinese_characters_carry_the_text() -> None:
    assert detect_language("包裹在哪里\n我的订单 SO20240518123 还没到") == "zh"
    assert detect_language("iPhone 15 Pro 屏幕坏了") == "zh"
    assert detect_language("Where is my order?\nHi, this is 王伟, order 1001 has not arrived yet") == "en"
    assert detect_language("refund pls 🙏") == "en"


def test_a_shipping_draft_quotes_the_order_facts_in_the_tickets_language() -> None:
    reply = render_reply("shipping", "zh", FACTS, load_templates())
    assert reply is not None
    assert reply.language == "zh"
    assert all(fact in reply.body for fact in ("E-3", "DHL", "JD0001", "2026-03-02", "已发货"))
    assert reply.facts == FACTS
    english = render_reply("shipping", "en", FACTS, load_templates())
    assert english is not None
    assert "tracking number JD0001" in english.body


def test_an_unknown_fact_is_written_as_not_known_rather_than_left_blank() -> None:
    reply = render_reply("refund", "en", {**FACTS, "carrier": None}, load_templates())
    assert reply is not None
    assert "refund status: not known yet" in reply.body
    assert "None" not in reply.body


def test_every_category_with_a_template_drafts_in_both_languages() -> None:
    templates = load_templates()
    assert set(templates["templates"]) == {"shipping", "refund", "return", "payment"}
    for category in templates["templates"]:
        for language in ("en", "zh"):
            reply = render_reply(category, language, FACTS, templates)
            assert reply is not None
            assert "${" not in reply.body


def test_operators_replace_the_templates_and_categories_without_one_get_no_draft(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "replies.json"
    path.write_text('{"templates": {"shipping": {"en": "Order ${order} left with ${carrier} ${unknown_name}."}}}')
    templates = load_templates(str(path))
    reply = render_reply("shipping", "zh", FACTS, templates)
    assert reply is not None
    assert (reply.language, reply.body) == ("en", "Order E-3 left with DHL ${unknown_name}.")
    assert render_reply("refund", "en", FACTS, templates) is None
    assert render_reply("product", "en", FACTS, load_templates()) is None
