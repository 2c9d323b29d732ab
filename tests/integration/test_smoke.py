"""The application writes to and reads from the real PostgreSQL event store."""

from decimal import Decimal

from domain.base import Actor, Meta
from infrastructure.bootstrap import Container

META = Meta(actor=Actor("tester", "admin"), correlation_id="test")


def test_received_stock_is_read_back_from_postgres(container: Container) -> None:
    app = container.app
    app.put_warehouse("W1", "Main", "eu", META)
    app.put_product("SKU1", "Widget", "tools", Decimal("9.99"), "EUR", 5, META)
    result = app.receive_stock("SKU1", "W1", 20, "po-1", META)
    assert result.position is not None
    assert app.stock("SKU1", "W1").on_hand == 20
