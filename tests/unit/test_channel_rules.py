"""Pure rules of holds and channels: the available-to-sell formula, hold lifetimes and their stock effects."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.base import Actor, DomainError, InsufficientStockError, Meta
from domain.channel import Channel, available_to_sell
from domain.hold import MAX_TTL_SECONDS, Hold, convert_units, free_units, hold_units
from domain.stock import Stock

META = Meta(actor=Actor("tester", "admin"))


@pytest.mark.parametrize(
    ("share", "buffer", "available", "expected"),
    [
        ("0.5", 2, 13, 4),  # floor(6.5) − 2
        ("0.29", 0, 100, 29),  # decimal, not float: 0.29 × 100 is exactly 29
        ("1", 0, 0, 0),
        ("0.6", 5, 3, 0),  # never negative
        ("0", 0, 50, 0),
    ],
)
def test_available_to_sell_is_the_floor_of_the_share_minus_the_buffer_never_below_zero(
    share: str, buffer: int, available: int, expected: int
) -> None:
    assert available_to_sell(Decimal(share), buffer, available) == expected


def test_a_channel_refuses_a_share_above_one_and_records_nothing_when_settings_are_unchanged() -> None:
    settings = {
        "name": "M",
        "warehouses": ["W1"],
        "share": "0.5",
        "buffer": 1,
        "stock_url": None,
        "fulfilment_url": None,
    }
    with pytest.raises(DomainError):
        Channel.configure("m", {**settings, "share": "1.5"}, META)
    channel = Channel.configure("m", settings, META)
    assert channel.update(dict(settings), META) is False
    assert channel.update({**settings, "buffer": 3}, META) is True
    assert channel.buffer == 3


def test_held_units_are_reserved_until_freed_and_conversion_moves_them_to_the_order() -> None:
    stock = Stock.open("A", "W1", META)
    stock.receive(10, "po", META)
    hold_units(stock, "h1", 4, META)
    hold_units(stock, "h2", 3, META)
    assert (stock.reserved, stock.available) == (7, 3)
    with pytest.raises(InsufficientStockError):
        hold_units(stock, "h3", 4, META)
    assert convert_units(stock, "h1", "o1", 3, META) == 3  # one held unit more than the order needs
    assert (stock.reserved, stock.reservations, stock.holds) == (6, {"o1": 3}, {"h2": 3})
    assert free_units(stock, "h2", "expired", META) == 3
    assert (stock.reserved, stock.available, stock.holds) == (3, 7, {})


def test_a_hold_extends_only_up_to_the_maximum_and_expires_only_once_due() -> None:
    hold = Hold.place(uuid4(), "A", "W1", 1, "cart", 60, META)
    assert hold.end("expired", replace(META, business_time=META.business_time + timedelta(seconds=59))) is False
    hold.extend(MAX_TTL_SECONDS, replace(META, business_time=META.business_time + timedelta(seconds=30)))
    assert hold.expiry == META.business_time + timedelta(seconds=MAX_TTL_SECONDS)
    assert hold.end("expired", replace(META, business_time=hold.expiry)) is True
    assert hold.status == "expired"
    assert hold.end("released", META) is False
    with pytest.raises(DomainError):
        Hold.place(uuid4(), "A", "W1", 1, "cart", MAX_TTL_SECONDS + 1, META)
