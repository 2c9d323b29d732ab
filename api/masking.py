"""Masking of customer contact data for roles that do not need it (reliability.md role matrix)."""

from __future__ import annotations

from typing import Any

MASK = "***"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{MASK}@{domain}" if domain else MASK


def mask_contact(profile: dict[str, Any]) -> dict[str, Any]:
    """ "john@example.com" → "j***@example.com", "Jane Doe" → "J***", phone keeps its last two digits."""
    masked = dict(profile)
    if masked.get("email"):
        masked["email"] = mask_email(str(masked["email"]))
    if masked.get("name"):
        masked["name"] = str(masked["name"])[:1] + MASK
    if masked.get("phone"):
        masked["phone"] = MASK + str(masked["phone"])[-2:]
    if masked.get("address"):
        address = masked["address"]
        masked["address"] = dict.fromkeys(address, MASK) if isinstance(address, dict) else MASK
    return masked
