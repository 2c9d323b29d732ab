"""Channel webhooks: marketplaces push orders, signed with the channel's secret (HMAC-SHA256 of the raw
body in `X-Shopops-Signature: sha256=<hex>`). Delivery is at least once: the order is placed once per
(channel, external_id) and a repeat answers 200 with the same order. A bad signature records nothing."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any, Protocol, TypeVar

import msgspec
from litestar import Controller, Request, Response, post
from litestar.exceptions import NotAuthorizedException, ValidationException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter

from api.masking import mask_contact
from api.params import CODE_PATTERN
from api.runtime import Runtime, etag, runtime_of
from api.schemas import ChannelOrderIn, order_lines
from api.security import PUBLIC_OPT
from api.views import OrderOut, order_view
from domain.base import Actor, Meta

WEBHOOK_RATE_LIMIT = RateLimitConfig(rate_limit=("minute", 600), store="webhook_rate_limit")


def _verify(runtime: Runtime, channel: str, body: bytes, signature: str | None) -> None:
    secret = runtime.settings.channel_secret(channel)
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest() if secret else None
    if expected is None or signature is None or not hmac.compare_digest(expected, signature.strip()):
        raise NotAuthorizedException("missing or invalid X-Shopops-Signature for this channel")


class ChannelMessage(Protocol):
    external_id: str


Message = TypeVar("Message", bound=ChannelMessage)


async def signed_webhook(
    request: Request[Any, Any, Any], channel: str, kind: type[Message], correlation_suffix: str = ""
) -> tuple[Message, Meta]:
    """A channel's webhook body, verified against the channel's secret (401 otherwise) and decoded (422), with
    the metadata its command records: the channel as actor, the request id or the channel's own reference as
    correlation id."""
    body = await request.body()
    _verify(runtime_of(request), channel, body, request.headers.get("x-shopops-signature"))
    try:
        data = msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as error:
        raise ValidationException(str(error)) from None
    meta = Meta(
        actor=Actor(id=f"channel:{channel}", role="integration", kind="channel"),
        correlation_id=request.headers.get("x-request-id") or f"{channel}:{data.external_id}{correlation_suffix}",
    )
    return data, meta


class ChannelController(Controller):
    path = "/channels"
    tags = ("channels",)

    @post(
        "/{channel:str}/orders",
        opt={PUBLIC_OPT: True},
        middleware=[WEBHOOK_RATE_LIMIT.middleware],
        security=[],
        status_code=201,
        responses={200: ResponseSpec(OrderOut, description="the order delivered before by this channel")},
        request_body=ChannelOrderIn,
    )
    async def order(
        self,
        request: Request[Any, Any, Any],
        channel: Annotated[str, PathParameter(min_length=1, max_length=64, pattern=CODE_PATTERN)],
    ) -> Response[OrderOut]:
        """201 with the order placed from the channel's payload, 200 when it was delivered before."""
        runtime = runtime_of(request)
        data, meta = await signed_webhook(request, channel, ChannelOrderIn)
        customer = {k: v for k, v in msgspec.structs.asdict(data.customer).items() if v is not None}
        result = await runtime.call(
            runtime.app.place_order, channel, data.external_id, customer, order_lines(data.lines), meta
        )
        view = order_view(result)
        view.customer = mask_contact(customer)  # the channel knows its customer; echo it masked anyway
        return Response(view, status_code=201 if result.created else 200, headers=etag(result.aggregate.version))
