"""Named SQL parameters (`:name`) bound to asyncpg's positional `$n`, so each query takes only what it uses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

NAME = re.compile(r"(?<![:\w]):([a-z_]+)\b")


def bind(sql: str, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """`:name` → `$n` (each name numbered once, `::casts` untouched); raises KeyError for a missing value."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    text = NAME.sub(number, sql)
    return text, [values[name] for name in order]
