"""Response bodies, and how to build them from aggregates (commands) or read-model rows (queries).

Command responses are built from the aggregate the application returned, so they never depend on projection
lag. Queries return read-model rows already in contract shape; `from_row` checks them against these structs
(extra fields a read model adds are ignored, missing ones are a server error caught by the tests).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar
from uuid import UUID

import msgspec

from application.base import Result
from infrastructure.readmodels.stock_levels import stock_value

T = TypeVar("T")


class Out(msgspec.Struct, kw_only=True):
    """Base of every response body."""


class MoneyOut(Out, kw_only=True):
    amount: str
    currency: str


class TokenOut(Out, kw_only=True):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class MeOut(Out, kw_only=True):
    username: str
    roles: list[str]
    warehouses: list[str]


class WarehouseOut(Out, kw_only=True):
    code: str
    name: str
    region: str
    version: int
    position: int | None = None


class ProductOut(Out, kw_only=True):
    sku: str
    name: str
    category: str
    unit_price: MoneyOut
    lead_time_days: int
    unit_cost: MoneyOut | None = None
    """Standard cost: the unit cost of stock that has no cost of its own yet."""
    version: int
    position: int | None = None


class StockOut(Out, kw_only=True):
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    held: int = 0
    """Of `reserved`, the units checkout holds keep (POST /holds)."""
    available: int
    inbound: int = 0
    policy: dict[str, Any] | None = None
    unit_cost: MoneyOut | None = None
    """Moving-average unit cost of this SKU in this warehouse (null until a cost is known)."""
    value: MoneyOut | None = None
    """on_hand × unit_cost."""
    version: int
    position: int | None = None


class TransferOut(Out, kw_only=True):
    id: UUID
    status: str
    sku: str
    from_warehouse: str
    to_warehouse: str
    quantity: int
    version: int
    position: int | None = None


class AllocationOut(Out, kw_only=True):
    warehouse: str
    quantity: int


class OrderLineOut(Out, kw_only=True):
    sku: str
    quantity: int
    allocated: list[AllocationOut]
    backordered: int


class OrderOut(Out, kw_only=True):
    id: UUID
    channel: str
    external_id: str
    status: str
    customer: dict[str, Any]
    lines: list[OrderLineOut]
    total: MoneyOut
    paid: MoneyOut
    refunded: MoneyOut | None = None
    cogs: MoneyOut | None = None
    """Cost of what shipped, each shipment at the moving-average unit cost of its moment."""
    margin: MoneyOut | None = None
    """total − refunded − cogs."""
    version: int
    position: int | None = None
    placed_at: datetime
    updated_at: datetime


class SlaOut(Out, kw_only=True):
    first_response_due: datetime
    resolution_due: datetime
    breached: bool


class ClassificationOut(Out, kw_only=True):
    """The automatic decision: who made it (`rules` or the model's name), which version, how sure."""

    category: str | None
    confidence: float | None
    model: str
    version: str


class SuggestedReplyOut(Out, kw_only=True):
    language: str
    body: str
    facts: dict[str, str | None]


class TicketOut(Out, kw_only=True):
    id: UUID
    status: str
    category: str
    priority: str
    assignee: str | None
    order_id: UUID | None
    customer_id: str | None = None
    channel: str | None = None
    subject: str | None = None
    sla: SlaOut
    version: int
    position: int | None = None
    opened_at: datetime
    classification: ClassificationOut | None = None
    suggested_reply: SuggestedReplyOut | None = None


class AgentOut(Out, kw_only=True):
    id: str
    name: str
    skills: list[str]
    capacity: int
    online: bool
    load: int | None = None
    version: int
    position: int | None = None


class Page(Out, Generic[T], kw_only=True):
    items: list[T]
    next_cursor: str | None


def from_row(row: dict[str, Any], kind: type[T]) -> T:
    """A read-model row as a response struct (lenient about types the row stores differently, e.g. numerics)."""
    return msgspec.convert(row, kind, strict=False)


def page(result: tuple[list[dict[str, Any]], str | None], kind: type[T]) -> Page[T]:
    items, cursor = result
    return Page(items=[from_row(item, kind) for item in items], next_cursor=cursor)


def money(amount: str | Decimal, currency: str) -> MoneyOut:
    return MoneyOut(amount=f"{Decimal(amount):.2f}", currency=currency)


def warehouse_view(result: Result) -> WarehouseOut:
    w = result.aggregate
    return WarehouseOut(code=w.code, name=w.name, region=w.region, version=w.version, position=result.position)


def product_view(result: Result) -> ProductOut:
    p = result.aggregate
    return ProductOut(
        sku=p.sku,
        name=p.name,
        category=p.category,
        unit_price=money(p.unit_price, p.currency),
        lead_time_days=p.lead_time_days,
        unit_cost=money(p.unit_cost, p.cost_currency) if p.unit_cost is not None and p.cost_currency else None,
        version=p.version,
        position=result.position,
    )


def stock_view(result: Result) -> StockOut:
    s = result.aggregate
    return StockOut(
        sku=s.sku,
        warehouse=s.warehouse,
        on_hand=s.on_hand,
        reserved=s.reserved,
        held=sum(s.holds.values()),
        available=s.available,
        inbound=s.inbound,
        policy=s.policy,
        **_stock_cost(s.on_hand, s.unit_cost, s.currency),
        version=s.version,
        position=result.position,
    )


def transfer_view(result: Result) -> TransferOut:
    t = result.aggregate
    return TransferOut(
        id=t.id,
        status=t.status,
        sku=t.sku,
        from_warehouse=t.from_warehouse,
        to_warehouse=t.to_warehouse,
        quantity=t.quantity,
        version=t.version,
        position=result.position,
    )


def order_view(result: Result) -> OrderOut:
    o = result.aggregate
    lines = [
        OrderLineOut(
            sku=line["sku"],
            quantity=line["quantity"],
            allocated=[AllocationOut(warehouse=wh, quantity=q) for wh, q in o.allocations.get(line["sku"], {}).items()],
            backordered=o.backordered.get(line["sku"], 0),
        )
        for line in o.lines
    ]
    return OrderOut(
        id=o.id,
        channel=o.channel,
        external_id=o.external_id,
        status=o.status,
        customer=o.customer,
        lines=lines,
        total=money(o.total, o.currency),
        paid=money(o.paid, o.currency),
        refunded=money(o.refunded, o.currency),
        cogs=money(o.cogs, o.currency),
        margin=money(Decimal(o.total) - Decimal(o.refunded) - o.cogs, o.currency),
        version=o.version,
        position=result.position,
        placed_at=o.placed_at,
        updated_at=o.modified_on,
    )


def _stock_cost(on_hand: int, unit_cost: str | None, currency: str | None) -> dict[str, Any]:
    values = stock_value(on_hand, Decimal(unit_cost) if unit_cost is not None else None, currency)
    return {key: MoneyOut(**value) if value else None for key, value in values.items()}


def ticket_view(result: Result) -> TicketOut:
    t = result.aggregate
    sla = t.sla(datetime.now(UTC))
    return TicketOut(
        id=t.id,
        status=t.status,
        category=t.category,
        priority=t.priority,
        assignee=t.assignee,
        order_id=UUID(t.order_id) if t.order_id else None,
        customer_id=t.customer_id,
        channel=t.channel,
        subject=t.subject,
        sla=SlaOut(
            first_response_due=sla["first_response_due"],
            resolution_due=sla["resolution_due"],
            breached=bool(sla["breaches"]),
        ),
        version=t.version,
        position=result.position,
        opened_at=t.created_on,
        classification=ClassificationOut(**t.classification) if t.classification else None,
    )


def agent_view(result: Result) -> AgentOut:
    a = result.aggregate
    return AgentOut(
        id=a.code,
        name=a.name,
        skills=list(a.skills),
        capacity=a.capacity,
        online=a.online,
        load=a.load,
        version=a.version,
        position=result.position,
    )
