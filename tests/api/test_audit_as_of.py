"""A5 as-of replay: the state of an order at version N, or at time T (through the time → version index),
equals what the read model showed at that moment."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.api.conftest import Api, money, order_body


async def test_the_audited_state_at_each_version_and_time_equals_what_the_read_model_showed(api: Api) -> None:
    await api.catalog("A")
    await api.receive("A", "W1", 10)
    order = (await api.post("/api/v1/orders", order_body("asof-1"))).json()
    oid = order["id"]
    commands: list[tuple[str, dict[str, Any]]] = [
        (f"/api/v1/orders/{oid}/payments", {"amount": money("10.00"), "reference": "psp-1"}),
        (f"/api/v1/orders/{oid}/payments", {"amount": money("9.98"), "reference": "psp-2"}),
        (f"/api/v1/orders/{oid}/shipments", {"warehouse": "W1", "carrier": "DHL", "tracking_number": "T1"}),
        (f"/api/v1/orders/{oid}/delivery", {}),
    ]
    seen = []
    position = order["position"]
    for path, body in [*([(None, None)]), *commands]:
        if path is not None:
            position = (await api.post(path, body)).json()["position"]
        shown = (await api.seen(f"/api/v1/orders/{oid}", position)).json()
        seen.append((datetime.now(UTC), shown))
    for moment, shown in seen:
        by_version = (
            await api.get(f"/api/v1/audit/streams/{oid}/state?version={shown['version']}", role="auditor")
        ).json()
        at_time = (
            await api.client.get(
                f"/api/v1/audit/streams/{oid}/state",
                params={"at": moment.isoformat(), "min_position": position},
                headers=api.headers("auditor"),
            )
        ).json()
        for state in (by_version, at_time):
            assert state["version"] == shown["version"]
            assert state["state"]["status"] == shown["status"]
            assert Decimal(state["state"]["paid"]) == Decimal(shown["paid"]["amount"])
    before = await api.get(f"/api/v1/audit/streams/{oid}/state?at=2000-01-01T00:00:00Z", role="auditor")
    assert before.status_code == 404
