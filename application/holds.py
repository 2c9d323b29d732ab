"""Checkout hold commands: place (routing picks the warehouse when none is named), extend, release, expire,
and the conversion an order's allocation makes of the holds its lines name — each one `save()`."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from application.base import Result, ShopOpsBase
from domain.base import InsufficientStockError, InvalidTransitionError, Meta
from domain.hold import DEFAULT_TTL_SECONDS, Hold, check_ttl, convert_units, free_units, hold_units
from domain.order import Order
from domain.routing import route
from domain.stock import Stock, stock_id

StockMap = dict[tuple[str, str], Any]


class HoldCommands(ShopOpsBase):
    """Hold commands (see the module docstring)."""

    def hold(self, hold_id: UUID) -> Hold:
        return self._load(hold_id, Hold, "hold")

    def place_hold(
        self,
        sku: str,
        quantity: int,
        reference: str,
        meta: Meta,
        warehouse: str | None = None,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        warehouses: tuple[str, ...] = (),
        preferred: tuple[str, ...] = (),
    ) -> Result:
        """Hold units of a SKU in one warehouse: the hold and the stock's reservation are one save."""
        check_ttl(ttl_seconds)
        self._require_known([sku], (warehouse,) if warehouse else ())
        hold_id = uuid4()

        def attempt() -> Result:
            code = warehouse or self._pick_warehouse(sku, quantity, warehouses, preferred)
            stock = self._maybe(stock_id(sku, code))
            if not isinstance(stock, Stock):
                raise InsufficientStockError(f"no stock of {sku} in {code}")
            hold_units(stock, str(hold_id), quantity, meta)
            hold = Hold.place(hold_id, sku, code, quantity, reference, ttl_seconds, meta)
            return self._commit(hold, stock, primary=hold, created=True)

        return self._retrying(attempt)

    def _pick_warehouse(self, sku: str, quantity: int, warehouses: tuple[str, ...], preferred: tuple[str, ...]) -> str:
        """The routing rules' first warehouse that can cover the whole hold."""
        stocks = {wh: self._maybe(stock_id(sku, wh)) for wh in warehouses}
        available = {wh: {sku: s.available} for wh, s in stocks.items() if isinstance(s, Stock)}
        for candidate in route({sku: quantity}, available, list(preferred)).candidates:
            if candidate.covers_all:
                return candidate.warehouse
        raise InsufficientStockError(f"no warehouse has {quantity} of {sku} available")

    def extend_hold(self, hold_id: UUID, ttl_seconds: int, meta: Meta) -> Result:
        def attempt() -> Result:
            hold = self.hold(hold_id)
            hold.extend(ttl_seconds, meta)
            return self._commit(hold, primary=hold)

        return self._retrying(attempt)

    def release_hold(self, hold_id: UUID, meta: Meta) -> Result:
        """Release an active hold (again: nothing changes); a hold that expired or converted cannot be."""
        return self._end_hold(hold_id, "released", meta)

    def expire_hold(self, hold_id: UUID, meta: Meta) -> Result:
        """Expire a hold that is due; one that ended or was extended meanwhile is left as it is."""
        return self._end_hold(hold_id, "expired", meta)

    def _end_hold(self, hold_id: UUID, outcome: str, meta: Meta) -> Result:
        def attempt() -> Result:
            hold = self.hold(hold_id)
            if hold.status == outcome or (outcome == "expired" and hold.status != "active"):
                return Result(hold, self.position())
            if hold.status != "active":
                raise InvalidTransitionError(f"a hold that is {hold.status} cannot be {outcome}")
            if not hold.end(outcome, meta):
                return Result(hold, self.position())
            stock = self.stock(hold.sku, hold.warehouse)
            free_units(stock, str(hold_id), outcome, meta)
            return self._commit(hold, stock, primary=hold)

        return self._retrying(attempt)

    def _convert_holds(
        self, order: Order, needed: dict[str, int], stocks: StockMap, meta: Meta
    ) -> tuple[dict[str, dict[str, int]], list[Aggregate]]:
        """Give an order's lines the units their holds keep (first allocation only). `stocks` is the
        allocation's own map of loaded Stock aggregates (one instance per stream in the save)."""
        taken: dict[str, dict[str, int]] = {}
        touched: list[Aggregate] = []
        if order.status != "placed":
            return taken, touched
        for line in order.lines:
            hold = self._maybe(UUID(line["hold_id"])) if line.get("hold_id") else None
            if not isinstance(hold, Hold) or hold.status != "active" or hold.sku != line["sku"]:
                continue
            key = (hold.sku, hold.warehouse)
            stock = stocks.get(key) or self.stock(*key)
            stocks[key] = stock
            want = needed.get(line["sku"], 0) - sum(taken.get(line["sku"], {}).values())
            got = convert_units(stock, str(hold.id), str(order.id), want, meta) if want > 0 else 0
            if not got:
                free_units(stock, str(hold.id), "converted", meta)
            hold.end("converted", meta, order_id=str(order.id))
            by_wh = taken.setdefault(line["sku"], {})
            if got:
                by_wh[hold.warehouse] = by_wh.get(hold.warehouse, 0) + got
            touched += [hold, stock]
        return taken, touched
