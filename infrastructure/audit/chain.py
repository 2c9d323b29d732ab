"""Tamper evidence over the event log: a hash chain in log order (each link covers the stored event bytes and
the previous link) and Ed25519-signed checkpoints whose private key lives outside the database.

`verify` recomputes the chain from the events and reports the first position where the events, the stored
links or a signed checkpoint disagree: a flipped byte, a deleted, swapped or inserted event. Limit: events
truncated after the last checkpoint are indistinguishable from events never written, if the attacker also
truncates the chain table; checkpoint often to keep that window small.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from Crypto.PublicKey import ECC
from Crypto.Signature import eddsa
from psycopg import Connection
from psycopg_pool import ConnectionPool

GENESIS = b"\x00" * 32
BATCH = 2000

Pool = ConnectionPool[Connection[Any]]


def link(previous: bytes, notification_id: int, originator_id: Any, version: int, topic: str, state: bytes) -> bytes:
    """One link: SHA-256 over the previous link and the event exactly as stored (ids, topic, state bytes)."""
    digest = hashlib.sha256(previous)
    digest.update(struct.pack(">qq", notification_id, version))
    digest.update(str(originator_id).encode())
    digest.update(b"\x1f" + topic.encode() + b"\x1f")
    digest.update(bytes(state))
    return digest.digest()


@dataclass(frozen=True)
class SigningKey:
    """The checkpoint key, loaded from a PEM file or PEM text given by the environment (never the database)."""

    key: Any
    key_id: str

    @classmethod
    def load(cls, pem_or_path: str) -> SigningKey:
        text = Path(pem_or_path).read_text() if not pem_or_path.lstrip().startswith("-----") else pem_or_path
        key = ECC.import_key(text)
        public = key.public_key().export_key(format="raw")
        return cls(key, hashlib.sha256(public).hexdigest()[:16])

    @staticmethod
    def generate_pem() -> str:
        return str(ECC.generate(curve="ed25519").export_key(format="PEM"))

    def sign(self, message: bytes) -> bytes:
        return bytes(eddsa.new(self.key, "rfc8032").sign(message))

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            eddsa.new(self.key.public_key(), "rfc8032").verify(message, signature)
        except ValueError:
            return False
        return True


def checkpoint_message(notification_id: int, chain_link: bytes, chained: int) -> bytes:
    return b"shopops-audit-checkpoint:" + struct.pack(">qq", notification_id, chained) + chain_link


def _events(conn: Connection[Any], after: int, limit: int) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT notification_id, originator_id, originator_version, topic, state FROM shopops_events "
        "WHERE notification_id > %s ORDER BY notification_id LIMIT %s",
        (after, limit),
    ).fetchall()


class AuditChain:
    """Extends the chain (a tracked process: its position is the last chained id) and verifies it."""

    def __init__(self, pool: Pool, key: SigningKey | None, checkpoint_every: int = 1000) -> None:
        self.pool = pool
        self.key = key
        self.checkpoint_every = checkpoint_every

    def tip(self, conn: Connection[Any]) -> tuple[int, bytes, int]:
        row = conn.execute(
            "SELECT notification_id, link, (SELECT count(*) FROM audit_chain) FROM audit_chain "
            "ORDER BY notification_id DESC LIMIT 1"
        ).fetchone()
        return (int(row[0]), bytes(row[1]), int(row[2])) if row else (0, GENESIS, 0)

    def extend(self, limit: int = BATCH) -> int:
        """Chain the next events (one transaction; a concurrent extender fails on the primary key)."""
        with self.pool.connection() as conn, conn.transaction():
            position, previous, chained = self.tip(conn)
            rows = _events(conn, position, limit)
            links = []
            for notification_id, originator_id, version, topic, state in rows:
                previous = link(previous, notification_id, originator_id, version, topic, state)
                links.append((notification_id, previous))
            if links:
                with conn.cursor() as cur:
                    cur.executemany("INSERT INTO audit_chain VALUES (%s, %s)", links)
                self._maybe_checkpoint(conn, links[-1][0], previous, chained + len(links))
            return len(links)

    def _maybe_checkpoint(self, conn: Connection[Any], position: int, chain_link: bytes, chained: int) -> None:
        if self.key is None:
            return
        row = conn.execute("SELECT coalesce(max(chained), 0) FROM audit_checkpoints").fetchone()
        if row is not None and chained - int(row[0]) < self.checkpoint_every:
            return
        self.checkpoint(conn, position, chain_link, chained)

    def checkpoint(self, conn: Connection[Any], position: int, chain_link: bytes, chained: int) -> None:
        if self.key is None:
            raise RuntimeError("no checkpoint key configured (SHOPOPS_AUDIT_KEY)")
        signature = self.key.sign(checkpoint_message(position, chain_link, chained))
        conn.execute(
            "INSERT INTO audit_checkpoints (notification_id, link, chained, signature, key_id) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (position, chain_link, chained, signature, self.key.key_id),
        )

    def checkpoint_now(self) -> None:
        with self.pool.connection() as conn, conn.transaction():
            position, chain_link, chained = self.tip(conn)
            if position:
                self.checkpoint(conn, position, chain_link, chained)

    def verify(self, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
        """Recompute the chain from the events; `{ok, checked, first_bad_position, reason}`."""
        with self.pool.connection() as conn:
            checkpoints = {
                int(r[0]): (bytes(r[1]), int(r[2]), bytes(r[3]))
                for r in conn.execute("SELECT notification_id, link, chained, signature FROM audit_checkpoints")
            }
            checked, previous = 0, GENESIS
            for position, stored, event in self._pairs(conn):
                bad = self._check(stored, event, previous)
                if bad is not None:
                    return {"ok": False, "checked": checked, "first_bad_position": position, "reason": bad}
                previous = link(previous, *event)  # type: ignore[misc]
                checked += 1
                bad = self._check_checkpoint(checkpoints.get(position), position, previous, checked)
                if bad is not None:
                    return {"ok": False, "checked": checked, "first_bad_position": position, "reason": bad}
                if progress and checked % 10_000 == 0:
                    progress(checked)
        return {"ok": True, "checked": checked, "first_bad_position": None, "reason": None}

    @staticmethod
    def _check(stored: bytes | None, event: tuple[Any, ...] | None, previous: bytes) -> str | None:
        if event is None:
            return "event missing (deleted) at a chained position"
        if stored is None:
            return "event not in the chain (inserted)"
        if link(previous, *event) != stored:
            return "event bytes or order differ from what was chained"
        return None

    def _check_checkpoint(
        self, checkpoint: tuple[bytes, int, bytes] | None, position: int, current: bytes, checked: int
    ) -> str | None:
        if checkpoint is None:
            return None
        chain_link, chained, signature = checkpoint
        if chain_link != current or chained != checked:
            return "chain differs from a signed checkpoint"
        if self.key is not None and not self.key.verify(checkpoint_message(position, chain_link, chained), signature):
            return "checkpoint signature invalid"
        return None

    def _pairs(self, conn: Connection[Any]) -> Iterator[tuple[int, bytes | None, tuple[Any, ...] | None]]:
        """Chain rows and events side by side in log order, streamed (the log is never loaded whole).
        Events after the chain tip are not chained yet and are not judged."""
        with conn.cursor(name="audit_verify") as cur:
            cur.itersize = BATCH
            cur.execute(
                "SELECT coalesce(c.notification_id, e.notification_id), c.link, e.notification_id, e.originator_id, "
                "e.originator_version, e.topic, e.state FROM audit_chain c FULL OUTER JOIN shopops_events e "
                "ON e.notification_id = c.notification_id "
                "WHERE coalesce(c.notification_id, e.notification_id) <= "
                "(SELECT coalesce(max(notification_id), 0) FROM audit_chain) "
                "ORDER BY 1"
            )
            for row in cur:
                event = None if row[2] is None else (row[2], row[3], row[4], row[5], bytes(row[6]))
                yield int(row[0]), (bytes(row[1]) if row[1] is not None else None), event
