"""Request bodies: msgspec Structs that reject unknown fields (S3 mass assignment) and out-of-range values.

Nothing a client sends can set status, version, totals or ids: those fields simply do not exist here, so a
body carrying them fails validation (422) before any command runs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

# Strings end up in PostgreSQL text columns: NUL can never be stored there, and single-line fields take no
# control characters at all (S3: bad input is refused at the door, never half-recorded).
LINE = r"^[^\x00-\x1f\x7f]*$"
PARAGRAPHS = r"^[^\x00]*$"
Text = Annotated[str, Meta(min_length=1, max_length=200, pattern=LINE)]
LongText = Annotated[str, Meta(min_length=1, max_length=10_000, pattern=PARAGRAPHS)]
Note = Annotated[str, Meta(max_length=2_000, pattern=PARAGRAPHS)]
Identifier = Annotated[str, Meta(min_length=1, max_length=100, pattern=LINE)]
Code = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
ExternalId = Annotated[str, Meta(min_length=1, max_length=128, pattern=LINE)]
Quantity = Annotated[int, Meta(gt=0, le=1_000_000)]
Delta = Annotated[int, Meta(ge=-1_000_000, le=1_000_000, description="non-zero change of on-hand")]
Days = Annotated[int, Meta(ge=0, le=3_650)]
Amount = Annotated[str, Meta(pattern=r"^\d{1,12}(\.\d{1,4})?$", examples=["12.50"], description="decimal string")]
Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$", examples=["EUR"], description="ISO 4217 code")]
Email = Annotated[str, Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Phone = Annotated[str, Meta(min_length=3, max_length=40, pattern=r"^[0-9+()\-. ]+$")]


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every request body."""


class Money(Body, kw_only=True):
    amount: Amount
    currency: Currency


class TokenRequest(Body, kw_only=True):
    username: Text
    password: Annotated[str, Meta(min_length=1, max_length=1_024)]


class WarehouseIn(Body, kw_only=True):
    name: Text
    region: Text


class ProductIn(Body, kw_only=True):
    name: Text
    category: Text
    unit_price: Money
    lead_time_days: Days
    unit_cost: Money | None = None
    """Standard cost (money): the unit cost of stock that has none of its own yet."""


class ReceiptIn(Body, kw_only=True):
    quantity: Quantity
    reference: Text
    unit_cost: Money | None = None
    """Actual cost of these units (money): the moving-average unit cost is updated from it."""


class AdjustmentIn(Body, kw_only=True):
    delta: Delta
    reason: Text


class PolicyIn(Body, kw_only=True):
    safety_factor: Annotated[float, Meta(ge=0, le=100)]
    lead_time_days: Days
    review_days: Days
    min_order_qty: Quantity
    safety_method: Literal["alpha", "service_level"] = "alpha"
    """`alpha`: safety stock α · ŷ (α = safety_factor); `service_level`: z · σ_forecast_error · √(lead + review)."""
    service_level: Annotated[float, Meta(ge=0.5, lt=1)] = 0.95


class TransferIn(Body, kw_only=True):
    sku: Code
    from_warehouse: Code
    to_warehouse: Code
    quantity: Quantity


class CustomerIn(Body, kw_only=True):
    id: Identifier
    name: Text
    email: Email | None = None
    phone: Phone | None = None
    address: (
        Annotated[str, Meta(max_length=500, pattern=PARAGRAPHS)]
        | dict[Annotated[str, Meta(max_length=50, pattern=LINE)], Annotated[str, Meta(max_length=200, pattern=LINE)]]
        | None
    ) = None


class OrderLineIn(Body, kw_only=True):
    sku: Code
    quantity: Quantity
    unit_price: Money
    promo: bool = False
    """Sold on a promotion (markdown, coupon, campaign): a feature of the sales history forecasts learn from."""
    hold_id: UUID | None = None
    """A checkout hold (POST /holds) whose units this line takes first."""


class OrderIn(Body, kw_only=True):
    channel: Code
    external_id: ExternalId
    customer: CustomerIn
    lines: Annotated[list[OrderLineIn], Meta(min_length=1, max_length=200)]


class ChannelOrderIn(Body, kw_only=True):
    """A marketplace's order; the channel is the one in the webhook's path."""

    external_id: ExternalId
    customer: CustomerIn
    lines: Annotated[list[OrderLineIn], Meta(min_length=1, max_length=200)]


def order_lines(lines: list[OrderLineIn]) -> list[dict[str, Any]]:
    """Request lines as the application takes them."""
    return [
        {
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price": Decimal(line.unit_price.amount),
            "currency": line.unit_price.currency,
            **({"promo": True} if line.promo else {}),
            **({"hold_id": str(line.hold_id)} if line.hold_id else {}),
        }
        for line in lines
    ]


class PaymentIn(Body, kw_only=True):
    amount: Money
    reference: Text


class CancelIn(Body, kw_only=True):
    reason: Text


class SkuQuantity(Body, kw_only=True):
    sku: Code
    quantity: Quantity


class ShipmentIn(Body, kw_only=True):
    warehouse: Code
    carrier: Text
    tracking_number: Text
    lines: Annotated[list[SkuQuantity], Meta(min_length=1, max_length=200)] | None = None


class ReturnIn(Body, kw_only=True):
    lines: Annotated[list[SkuQuantity], Meta(min_length=1, max_length=200)]
    reason: Text


class AgentIn(Body, kw_only=True):
    name: Text
    skills: Annotated[list[Annotated[str, Meta(min_length=1, max_length=32, pattern=LINE)]], Meta(max_length=20)]
    capacity: Annotated[int, Meta(ge=0, le=1_000)]
    online: bool


class TicketIn(Body, kw_only=True):
    customer_id: Identifier
    order_id: UUID | None = None
    channel: Code
    subject: Text
    body: LongText


class ReplyIn(Body, kw_only=True):
    author: Literal["agent", "customer"]
    body: LongText


TicketCategory = Literal["shipping", "refund", "return", "product", "payment", "complaint", "other"]
"""The categories of domain.ticket.CATEGORIES (a test keeps the two equal)."""


class CategoryIn(Body, kw_only=True):
    category: TicketCategory


class AssignmentIn(Body, kw_only=True):
    agent_id: Code


class NoteIn(Body, kw_only=True):
    note: Note | None = None


def quantities(lines: list[SkuQuantity]) -> dict[str, int]:
    """Lines as `{sku: quantity}`; a SKU listed twice is summed, as a picker would count it."""
    merged: dict[str, int] = {}
    for line in lines:
        merged[line.sku] = merged.get(line.sku, 0) + line.quantity
    return merged


class ReplenishmentOrderIn(Body, kw_only=True):
    supplier_reference: Text


class ReplenishmentReceiptIn(Body, kw_only=True):
    quantity: Quantity | None = None


class ReasonIn(Body, kw_only=True):
    reason: Text


class ForecastRefreshIn(Body, kw_only=True):
    skus: Annotated[list[Code], Meta(min_length=1, max_length=10_000)] | None = None
    """SKUs to refresh; all SKUs of the catalogue when omitted."""
