"""API users: argon2id password hashes in `api_users`, written by the CLI and checked at login.

The CLI is synchronous (psycopg); the API looks users up through its asyncpg pool so a login never blocks the
event loop on the database. Password verification itself is CPU-bound (argon2 is slow on purpose), so the
API runs `verify_password` in a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ROLES = ("admin", "ops", "warehouse", "support", "finance", "auditor", "integration")

_hasher = PasswordHasher()
# A real hash of a random password: logins for unknown users verify against it so that response time does
# not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-7c1e4b0a")


@dataclass(frozen=True)
class User:
    """A stored API user (the hash never leaves this module's callers except for verification)."""

    username: str
    password_hash: str
    roles: tuple[str, ...]
    warehouses: tuple[str, ...]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """True when the password matches; always spends one argon2 verification, even for unknown users."""
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def validate(username: str, password: str, roles: Sequence[str]) -> None:
    """Reject what would make an unusable or unsafe account before anything is written."""
    if not username.strip() or len(username) > 150:
        raise ValueError("username must be 1–150 characters")
    if len(password) < 8:
        raise ValueError("password must be at least 8 characters")
    unknown = sorted(set(roles) - set(ROLES))
    if not roles or unknown:
        raise ValueError(f"roles must be a non-empty subset of {', '.join(ROLES)} (unknown: {unknown})")


def add_user(
    database_url: str, username: str, password: str, roles: Sequence[str], warehouses: Sequence[str] = ()
) -> None:
    """Create the user or replace its password, roles and warehouses (the CLI's `user add`)."""
    validate(username, password, roles)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            """
            INSERT INTO api_users (username, password_hash, roles, warehouses)
            VALUES (%s, %s, %s, %s)
            ON CONFLICT (username) DO UPDATE
               SET password_hash = EXCLUDED.password_hash, roles = EXCLUDED.roles,
                   warehouses = EXCLUDED.warehouses, updated_at = now()
            """,
            (username, hash_password(password), list(dict.fromkeys(roles)), list(dict.fromkeys(warehouses))),
        )


async def find_user(db: Any, username: str) -> User | None:
    """Look a user up through an asyncpg pool or connection."""
    row = await db.fetchrow(
        "SELECT username, password_hash, roles, warehouses FROM api_users WHERE username = $1", username
    )
    if row is None:
        return None
    return User(row["username"], row["password_hash"], tuple(row["roles"]), tuple(row["warehouses"]))
