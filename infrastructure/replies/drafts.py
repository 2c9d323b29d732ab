"""A ticket's suggested first reply: the operator's templates, the ticket's language and its order's facts."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any
from uuid import UUID

from domain.replies import render_reply
from infrastructure.readmodels.order_shipments import order_facts

SHIPPED = "reply_templates.json"


@lru_cache(maxsize=4)
def load_templates(path: str | None = None) -> dict[str, Any]:
    """The templates at `path` (SHOPOPS_REPLY_TEMPLATES), else the ones shipped with shopops."""
    if path:
        with open(path, encoding="utf-8") as handle:
            loaded: dict[str, Any] = json.load(handle)
            return loaded
    shipped: dict[str, Any] = json.loads(resources.files(__package__).joinpath(SHIPPED).read_text(encoding="utf-8"))
    return shipped


async def suggested_reply(db: Any, ticket: dict[str, Any], templates: dict[str, Any]) -> dict[str, Any] | None:
    """`{language, body, facts}` for a ticket linked to an order whose category has a template; else None."""
    if not ticket.get("order_id") or ticket["category"] not in templates.get("templates", {}):
        return None
    facts = await order_facts(db, UUID(ticket["order_id"]))
    if facts is None:
        return None
    reply = render_reply(ticket["category"], ticket["language"], facts, templates)
    if reply is None:
        return None
    return {"language": reply.language, "body": reply.body, "facts": reply.facts}
