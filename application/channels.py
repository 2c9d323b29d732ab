"""Channel commands: configure a channel (its warehouses, share, buffer, push URLs) and take a cancellation
a channel sends for one of its orders (refused once shipped: a return is the way then)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from application.base import Result
from application.errors import NotFoundError
from application.orders import OrderCommands
from domain.base import InvalidTransitionError, Meta
from domain.channel import Channel, channel_id
from domain.order import CANCELLABLE, Order, order_id


class ChannelCommands(OrderCommands):
    """Channel commands (see the module docstring)."""

    def channel(self, code: str) -> Channel:
        return self._load(channel_id(code), Channel, f"channel {code}")

    def put_channel(self, code: str, settings: dict[str, Any], meta: Meta) -> Result:
        """Create or update a channel; `settings` = name, warehouses, share, buffer, stock_url, fulfilment_url."""
        self._require_known((), tuple(settings["warehouses"]))
        settings = {**settings, "share": str(Decimal(str(settings["share"])).normalize())}

        def attempt() -> Result:
            existing = self._maybe(channel_id(code))
            if isinstance(existing, Channel):
                if not existing.update(settings, meta):
                    return Result(existing, self.position())
                return self._commit(existing, primary=existing)
            created = Channel.configure(code, settings, meta)
            return self._commit(created, primary=created, created=True)

        return self._retrying(attempt)

    def cancel_from_channel(self, channel: str, external_id: str, reason: str, meta: Meta) -> Result:
        """The channel's cancellation of its order: idempotent; 409 once any of it shipped."""
        order = self._maybe(order_id(channel, external_id))
        if not isinstance(order, Order):
            raise NotFoundError(f"order {external_id} of channel {channel} not found")
        if order.status != "cancelled" and order.status not in CANCELLABLE:
            raise InvalidTransitionError(
                f"order {external_id} is {order.status}: it cannot be cancelled any more, a return is the way"
            )
        return self.cancel_order(order.id, reason, meta)
