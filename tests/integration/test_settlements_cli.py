"""`shopops settlements import`: a payout file is imported and reconciled; importing it again changes nothing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from click.testing import CliRunner

from cli.main import main
from domain.base import Actor, Meta
from infrastructure.bootstrap import Container
from infrastructure.readmodels.runner import run_projections
from infrastructure.settings import Settings, get_settings

META = Meta(actor=Actor("tester", "admin"), correlation_id="test")
CSV = (
    "payout_id,payout_date,reference,type,amount,fee,occurred_at,order_external_id\n"
    "PO-9,2026-01-05,pay-9,payment,25.00,0.80,2026-01-04,CLI-1\n"
    "PO-9,2026-01-05,pay-x,payment,5.00,0.40,2026-01-04,\n"
)


@pytest.fixture
def projecting(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", settings.require_database_url())
    get_settings.cache_clear()
    stop = threading.Event()
    thread = threading.Thread(target=run_projections, args=(settings,), kwargs={"stop": stop}, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)
    get_settings.cache_clear()


def test_a_settlement_file_is_imported_and_reconciled_once(
    container: Container, settings: Settings, tmp_path: Path, projecting: None
) -> None:
    app = container.app
    app.put_product("A", "A", "tools", Decimal("25.00"), "EUR", 3, META)
    line = {"sku": "A", "quantity": 1, "unit_price": Decimal("25.00"), "currency": "EUR"}
    order = app.place_order("web", "CLI-1", {"id": "c"}, [line], META)
    app.record_payment(order.aggregate.id, Decimal("25.00"), "EUR", "pay-9", META)
    path = tmp_path / "payouts.csv"
    path.write_text(CSV, encoding="utf-8")
    first = CliRunner().invoke(main, ["settlements", "import", str(path), "--provider", "psp"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert report["status"] == "reconciled"
    again = CliRunner().invoke(main, ["settlements", "import", str(path), "--provider", "psp"])
    assert json.loads(again.output)["status"] == "already_imported"
    payout = app.get_aggregate(UUID(report["id"]))
    assert payout.reconciled
    assert payout.payout_amount == "28.80"  # no payout_amount column: the sum of the net lines
    with psycopg.connect(settings.require_database_url()) as conn:
        kinds = conn.execute(
            "SELECT count(*) FROM shopops_events WHERE topic = 'shopops.recon_claim.claimed'"
        ).fetchone()
    assert kinds == (1,)  # pay-9 claimed once; pay-x is an unmatched_settlement exception
