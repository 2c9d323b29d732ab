"""`shopops sales import`: daily sales from an ERP CSV, the forecasts' cold start."""

from __future__ import annotations

from typing import Any

import click

from cli.context import container
from infrastructure.forecasting.store import SalesImportError, import_sales


@click.group()
def sales() -> None:
    """Sales history, the forecasts' input."""


@sales.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--by", "imported_by", default="cli", show_default=True, help="Who imports (recorded).")
def sales_import(file: Any, imported_by: str) -> None:
    """Import daily sales from an ERP CSV for a cold start: columns date,sku,units and optionally
    warehouse,channel,revenue|unit_price,promo. A day imported again replaces the earlier import."""
    with container() as c:
        try:
            result = import_sales(c.pool, file.read(), getattr(file, "name", "-"), imported_by)
        except SalesImportError as error:
            raise click.ClickException(str(error)) from None
    click.echo(
        f"import {result.import_id}: {result.rows} rows, {result.skus} SKUs, {result.first_day} .. {result.last_day}"
    )
