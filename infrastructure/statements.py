"""SQL written once, run by either driver: a `Statement` holds one statement in asyncpg's `$n` form and runs
it on an asyncpg connection (the API) or a psycopg connection (the CLI, workers, projections), so the sync and
async callers of a query can never drift apart."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

_PLACEHOLDER = re.compile(r"\$(\d+)")


@dataclass(frozen=True)
class Statement:
    """One SQL statement with `$1, $2, ...` placeholders (a placeholder may repeat)."""

    text: str
    _psycopg_text: str = field(init=False, repr=False, compare=False)
    _order: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        order = tuple(int(n) - 1 for n in _PLACEHOLDER.findall(self.text))
        psycopg_text = _PLACEHOLDER.sub("%s", self.text.replace("%", "%%"))
        object.__setattr__(self, "_psycopg_text", psycopg_text)
        object.__setattr__(self, "_order", order)

    def _args(self, args: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(args[i] for i in self._order)

    # ---- psycopg (sync) -------------------------------------------------------------------------------

    def rows(self, conn: Connection[Any], *args: Any) -> list[dict[str, Any]]:
        with conn.cursor(row_factory=dict_row) as cur:
            cur.execute(self._psycopg_text, self._args(args))
            return cur.fetchall() if cur.description else []

    def row(self, conn: Connection[Any], *args: Any) -> dict[str, Any] | None:
        rows = self.rows(conn, *args)
        return rows[0] if rows else None

    def value(self, conn: Connection[Any], *args: Any) -> Any:
        cur = conn.execute(self._psycopg_text, self._args(args))
        found = cur.fetchone() if cur.description else None
        return found[0] if found else None

    def run(self, conn: Connection[Any], *args: Any) -> None:
        conn.execute(self._psycopg_text, self._args(args))

    # ---- asyncpg (async) ------------------------------------------------------------------------------

    async def fetch(self, db: Any, *args: Any) -> list[Any]:
        return list(await db.fetch(self.text, *args))

    async def fetchrow(self, db: Any, *args: Any) -> Any:
        return await db.fetchrow(self.text, *args)

    async def fetchval(self, db: Any, *args: Any) -> Any:
        return await db.fetchval(self.text, *args)
