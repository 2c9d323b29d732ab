"""Ports: what the application needs from infrastructure, as Protocols."""

from __future__ import annotations

from typing import Any, Protocol


class PersonalDataVault(Protocol):
    """Seals a customer's contact fields with that customer's own key (crypto-shredding)."""

    def seal(self, customer: dict[str, Any]) -> dict[str, Any]:
        """`{id, name, email, phone, address}` → `{id, sealed}`; the id stays readable."""
        ...
