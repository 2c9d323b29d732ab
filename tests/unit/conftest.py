"""Unit fixtures: the ShopOps application on eventsourcing's in-memory (POPO) persistence, with a fake vault."""

from __future__ import annotations

from decimal import Decimal

import pytest

from application.shopops import ShopOps
from domain.base import Actor, Meta
from tests.unit.fakes import InMemoryVault

META = Meta(actor=Actor("tester", "admin"), correlation_id="unit")
POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


@pytest.fixture
def vault() -> InMemoryVault:
    return InMemoryVault()


@pytest.fixture
def shop(vault: InMemoryVault) -> ShopOps:
    """A fresh application in memory with warehouses W1 (eu-west), W2 (eu-north), W3 (eu-south) and SKUs A, B."""
    app = ShopOps(env=POPO)
    app.vault = vault
    for code, region in (("W1", "eu-west"), ("W2", "eu-north"), ("W3", "eu-south")):
        app.put_warehouse(code, f"Warehouse {code}", region, META)
    for sku in ("A", "B"):
        app.put_product(sku, f"Product {sku}", "tools", Decimal("10.00"), "EUR", 5, META)
    return app
