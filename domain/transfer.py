"""Transfer aggregate: stock moving between two warehouses, in transit until received."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import Meta, ShopAggregate, ShopCreated, ShopEvent, require_positive


class Transfer(ShopAggregate):
    """Stock moving between two warehouses: in transit until received."""

    TOPIC = "shopops.transfer"

    class Created(ShopCreated):
        """A transfer was dispatched."""

        TOPIC = "shopops.transfer.dispatched"
        sku: str
        from_warehouse: str
        to_warehouse: str
        quantity: int

    class Received(ShopEvent):
        TOPIC = "shopops.transfer.received"

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "received"

    def __init__(self, sku: str, from_warehouse: str, to_warehouse: str, quantity: int) -> None:
        self.sku = sku
        self.from_warehouse = from_warehouse
        self.to_warehouse = to_warehouse
        self.quantity = quantity
        self.status = "in_transit"

    @classmethod
    def dispatch(
        cls, transfer_id: UUID, sku: str, from_warehouse: str, to_warehouse: str, quantity: int, meta: Meta
    ) -> Transfer:
        require_positive(quantity)
        return cls._create(
            cls.Created,
            id=transfer_id,
            sku=sku,
            from_warehouse=from_warehouse,
            to_warehouse=to_warehouse,
            quantity=quantity,
            meta=meta.as_dict(),
        )

    def receive(self, meta: Meta) -> bool:
        """Mark received; returns False when it already was (receiving twice changes nothing)."""
        if self.status == "received":
            return False
        self.record(self.Received, meta)
        return True
