"""Request bodies of checkout holds and channels (contract v1.1, "Checkout holds" and "Channels both ways")."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from api.schemas import Body, Code, Quantity, Text

Ttl = Annotated[int, Meta(ge=1, le=3600, description="seconds the hold lasts (default 900, max 3600)")]
Url = Annotated[str, Meta(min_length=8, max_length=2000, pattern=r"^https?://[^\s\x00-\x1f\x7f]+$")]


class HoldIn(Body, kw_only=True):
    sku: Code
    quantity: Quantity
    reference: Text
    ttl_seconds: Ttl = 900
    warehouse: Code | None = None


class HoldExtendIn(Body, kw_only=True):
    ttl_seconds: Ttl


class ChannelIn(Body, kw_only=True):
    name: Text
    warehouses: Annotated[list[Code], Meta(max_length=100)]
    share: Annotated[float, Meta(ge=0, le=1, description="fraction 0..1 of the warehouses' available stock")]
    buffer: Annotated[int, Meta(ge=0, le=1_000_000)]
    stock_url: Url | None = None
    fulfilment_url: Url | None = None


class CancellationIn(Body, kw_only=True):
    external_id: Annotated[str, Meta(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]*$")]
    reason: Text
