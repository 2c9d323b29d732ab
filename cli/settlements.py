"""`shopops settlements import FILE.csv --provider P`: import provider payouts and reconcile them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from domain.base import Actor, Meta
from infrastructure.bootstrap import bootstrap
from infrastructure.money.reconcile import reconcile
from infrastructure.money.settlement_csv import SettlementFileError, read_file
from infrastructure.settings import get_settings


@click.group()
def settlements() -> None:
    """Provider payouts and their reconciliation (money)."""


@settlements.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--provider", required=True, help="Payment provider the payouts come from.")
@click.option("--currency", default="EUR", show_default=True, help="Currency when the file has no currency column.")
def settlements_import(file: Any, provider: str, currency: str) -> None:
    """Columns payout_id,payout_date,reference,type,amount,fee,occurred_at,order_external_id (optionally
    payout_amount, currency). A payout imported before changes nothing. One JSON line per payout."""
    settings = get_settings()
    if not settings.database_url:
        raise click.ClickException("DATABASE_URL is not set")
    try:
        payouts = read_file(file, provider, currency)
    except SettlementFileError as error:
        raise click.ClickException(str(error)) from None
    container = bootstrap(settings)
    meta = Meta(actor=Actor("cli", "finance", "user"), correlation_id=f"cli:{datetime.now(UTC).isoformat()}")
    try:
        for payout in payouts:
            result = container.app.import_settlement(payout, meta)
            status = "imported" if result.created else "already_imported"
            if result.created and container.pool is not None:
                try:
                    reconcile(container.app, container.pool, settings, result.aggregate.id, result.position or 0, meta)
                    status = "reconciled"
                except TimeoutError:
                    status = "imported (the workers reconcile it once the read models catch up)"
            click.echo(json.dumps({"payout_id": payout["payout_id"], "id": str(result.aggregate.id), "status": status}))
    finally:
        container.close()
