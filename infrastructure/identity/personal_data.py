"""Crypto-shredding of customer contact data (A4): name, e-mail, phone and address are sealed with AES-GCM
under a per-customer key in `customer_keys` before they enter an event. Reads unseal them; erasure deletes
the key, after which every copy — events, read models, exports, dumps — is unreadable ciphertext, while the
events themselves (and so the audit chain, totals and stock) are untouched."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime
from typing import Any

from Crypto.Cipher import AES
from psycopg import Connection
from psycopg_pool import ConnectionPool

CONTACT_FIELDS = ("name", "email", "phone", "address")
PREFIX = "v1:"


def _encrypt(key: bytes, fields: dict[str, Any]) -> str:
    nonce = secrets.token_bytes(12)
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
    ciphertext, tag = cipher.encrypt_and_digest(json.dumps(fields, ensure_ascii=False).encode())
    return PREFIX + base64.b64encode(nonce + tag + ciphertext).decode()


def _decrypt(key: bytes, token: str) -> dict[str, Any]:
    raw = base64.b64decode(token.removeprefix(PREFIX))
    cipher = AES.new(key, AES.MODE_GCM, nonce=raw[:12])
    fields: dict[str, Any] = json.loads(cipher.decrypt_and_verify(raw[28:], raw[12:28]))
    return fields


KEY_OF = "SELECT key FROM customer_keys WHERE customer_id = %s AND key IS NOT NULL"
NEW_KEY = (
    "INSERT INTO customer_keys AS k (customer_id, key) VALUES (%s, %s) ON CONFLICT (customer_id) DO "
    "UPDATE SET key = coalesce(k.key, EXCLUDED.key), erased_at = CASE WHEN k.key IS NULL THEN NULL "
    "ELSE k.erased_at END RETURNING key"
)


class PostgresVault:
    """The application's `PersonalDataVault`: keys live in PostgreSQL, apart from the events."""

    def __init__(self, pool: ConnectionPool[Connection[Any]]) -> None:
        self.pool = pool

    def key_for(self, customer_id: str) -> bytes:
        """The customer's key, created on first use (and anew after an erasure: new data, new key). A known
        customer's key is only read (no write, no lock); the upsert runs for a new or erased customer."""
        with self.pool.connection() as conn:
            row = conn.execute(KEY_OF, (customer_id,)).fetchone()
            if row is None:
                row = conn.execute(NEW_KEY, (customer_id, secrets.token_bytes(32))).fetchone()
        if row is None:
            raise RuntimeError("customer key upsert returned nothing")
        return bytes(row[0])

    def seal(self, customer: dict[str, Any]) -> dict[str, Any]:
        contact = {k: customer[k] for k in CONTACT_FIELDS if customer.get(k) is not None}
        sealed = {k: v for k, v in customer.items() if k not in CONTACT_FIELDS}
        address = customer.get("address")
        if isinstance(address, dict) and address.get("region"):
            sealed["region"] = address["region"]  # a sales region, not personal: routing needs it
        if contact:
            sealed["sealed"] = _encrypt(self.key_for(str(customer["id"])), contact)
        return sealed


def readable(customer: dict[str, Any]) -> dict[str, Any]:
    """What `unseal` gives for a customer whose contact data is at hand in plain text (the request that
    just sealed it): the same shape, without reading the key back."""
    return {"id": customer["id"], **{k: customer.get(k) for k in CONTACT_FIELDS}}


async def unseal(db: Any, customer: dict[str, Any] | None) -> dict[str, Any] | None:
    """The readable customer, or its id with empty contact fields and `erased: true` once the key is gone."""
    if not customer or "sealed" not in customer:
        return customer
    key = await db.fetchval("SELECT key FROM customer_keys WHERE customer_id = $1", str(customer["id"]))
    erased = {"id": customer["id"], **dict.fromkeys(CONTACT_FIELDS), "erased": True}
    if key is None:
        return erased
    try:
        return {"id": customer["id"], **dict.fromkeys(CONTACT_FIELDS), **_decrypt(bytes(key), customer["sealed"])}
    except ValueError:  # sealed under a key erased since: the customer came back and got a new key
        return erased


async def erase(db: Any, customer_id: str, erased_by: str) -> datetime:
    """Delete the customer's key and purge the copies kept outside events: the profile's contact data and
    stored idempotent responses that carried it. Idempotent: erasing twice keeps the first time."""
    async with db.acquire() as conn, conn.transaction():
        erased_at: datetime = await conn.fetchval(
            "INSERT INTO customer_keys AS k (customer_id, key, erased_at, erased_by) VALUES ($1, NULL, now(), $2) "
            "ON CONFLICT (customer_id) DO UPDATE SET key = NULL, erased_at = coalesce(k.erased_at, now()), "
            "erased_by = coalesce(k.erased_by, $2) RETURNING erased_at",
            customer_id,
            erased_by,
        )
        await conn.execute(
            "UPDATE customer_profile SET name = NULL, email = NULL, phone = NULL, address = NULL, sealed = NULL "
            "WHERE id = $1",
            customer_id,
        )
        await conn.execute(
            "DELETE FROM idempotency_keys WHERE position(convert_to($1, 'UTF8') IN response) > 0",
            json.dumps(customer_id),
        )
    return erased_at


async def record_pii_access(db: Any, actor: str, role: str, customer_id: str, reason: str, request: str | None) -> None:
    """An unmasking is itself recorded, append-only, before the data is shown."""
    await db.execute(
        "INSERT INTO pii_access_log (actor, role, customer_id, reason, request_id) VALUES ($1, $2, $3, $4, $5)",
        actor,
        role,
        customer_id,
        reason,
        request,
    )
