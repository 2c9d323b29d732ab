"""In-memory fakes of the application's ports (application/ports.py): working implementations, not mocks."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from application.ports import ClearanceCandidate

CONTACT_FIELDS = ("name", "email", "phone", "address")


@dataclass
class InMemoryVault:
    """PersonalDataVault: contact fields leave the customer and are kept here, one sealed token per customer;
    erasing a customer drops its contact data (what deleting the customer's key does in PostgreSQL)."""

    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: itertools.count[int] = field(default_factory=itertools.count)

    def seal(self, customer: dict[str, Any]) -> dict[str, Any]:
        contact = {k: customer[k] for k in CONTACT_FIELDS if customer.get(k) is not None}
        sealed = {k: v for k, v in customer.items() if k not in CONTACT_FIELDS}
        address = customer.get("address")
        if isinstance(address, dict) and address.get("region"):
            sealed["region"] = address["region"]  # routing needs the sales region, which is not personal
        if contact:
            token = f"sealed-{next(self.tokens)}"
            self.contacts[token] = {"customer": str(customer["id"]), **contact}
            sealed["sealed"] = token
        return sealed

    def unseal(self, customer: dict[str, Any]) -> dict[str, Any]:
        """The readable customer, or its id and `erased: true` once its contact data is gone."""
        held = self.contacts.get(customer.get("sealed", ""))
        if held is None:
            return {"id": customer["id"], **dict.fromkeys(CONTACT_FIELDS), "erased": True}
        return {"id": customer["id"], **{k: v for k, v in held.items() if k != "customer"}}

    def erase(self, customer_id: str) -> None:
        self.contacts = {t: c for t, c in self.contacts.items() if c["customer"] != customer_id}


@dataclass
class InMemoryClearanceQueries:
    """ClearanceQueries over a list of candidates, filtered the way the SQL adapter filters them."""

    candidates: list[ClearanceCandidate]
    asked: list[dict[str, Any]] = field(default_factory=list)

    async def clearance_candidates(
        self, window_days: int, warehouses: list[str] | None, warehouse: str | None, sku: str | None
    ) -> list[ClearanceCandidate]:
        self.asked.append({"window_days": window_days, "warehouses": warehouses, "warehouse": warehouse, "sku": sku})
        return [
            c
            for c in self.candidates
            if (warehouses is None or c.warehouse in warehouses)
            and (warehouse is None or c.warehouse == warehouse)
            and (sku is None or c.sku == sku)
        ]
