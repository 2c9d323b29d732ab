"""Forecasting's database side for workers and the CLI: the catalogue, stock policies, the latest forecast
for reorder, ERP imports (refresh runs are `infrastructure.forecasting.runs`; the pandas side — history frames
in, published forecasts out — is `infrastructure.forecasting.frames`, imported only where forecasts are
computed).

A series is one SKU in one warehouse, or the SKU over all warehouses (warehouse '' in `forecasts`). The
history is the `sales_history` view (order events plus imported ERP sales), daily, up to yesterday (the
last complete UTC day); days without sales are zero demand.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

from domain.replenishment import DemandForecast

Pool = ConnectionPool[Connection[Any]]
ALL_WAREHOUSES = ""
SEPARATOR = "|"  # SKU and warehouse codes never contain it (see api.schemas.Code)
FREQ = "D"
SEASON = 7


def series_id(sku: str, warehouse: str) -> str:
    return f"{sku}{SEPARATOR}{warehouse}"


def split_series_id(key: str) -> tuple[str, str]:
    sku, _, warehouse = key.partition(SEPARATOR)
    return sku, warehouse


def all_skus(pool: Pool) -> list[str]:
    with pool.connection() as conn:
        return [r[0] for r in conn.execute("SELECT sku FROM product_catalog ORDER BY sku").fetchall()]


def stock_policies(pool: Pool, skus: Sequence[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(sku, warehouse, policy) of every stock record of these SKUs that has a replenishment policy."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT sku, warehouse, policy FROM stock_levels WHERE sku = ANY(%s) AND policy IS NOT NULL "
            "ORDER BY sku, warehouse",
            (list(skus),),
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def demand_forecast(pool: Pool, sku: str, warehouse: str, days: int) -> DemandForecast | None:
    """The latest published forecast of a SKU in a warehouse, as daily demand over its first `days` days."""
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT id, model, generated_at, error_sd, points FROM forecasts WHERE sku = %s AND warehouse = %s "
            "ORDER BY generated_at DESC, id DESC LIMIT 1",
            (sku, warehouse),
        ).fetchone()
    if row is None:
        return None
    forecast_id, model, generated_at, error_sd, points = row
    means = [float(p["mean"] or 0.0) for p in points[: max(days, 1)]]
    daily = sum(means) / len(means) if means else 0.0
    return DemandForecast(daily, float(error_sd), int(forecast_id), str(model), generated_at.isoformat())


# ---- historical sales import (ERP CSV) ---------------------------------------------------------------------

IMPORT_COLUMNS = ("date", "sku", "units")
OPTIONAL_COLUMNS = ("warehouse", "channel", "revenue", "unit_price", "promo")
TRUE = frozenset({"1", "true", "yes", "y", "t"})


class SalesImportError(ValueError):
    """A sales file that cannot be imported; nothing was written."""


@dataclass(frozen=True)
class ImportResult:
    import_id: int
    rows: int
    skus: int
    first_day: date
    last_day: date


def parse_sales_csv(text: str, default_channel: str = "erp") -> list[tuple[str, str, str, date, int, Decimal, bool]]:
    """Rows (sku, warehouse, channel, day, units, revenue, promo); the whole file is checked before any write.

    Columns: date, sku, units; optional warehouse ('' = not attributed to one), channel (default `erp`),
    revenue or unit_price, promo (1/0, true/false). Repeated keys are summed."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if missing:
        raise SalesImportError(f"sales file is missing column(s) {', '.join(missing)}; need date,sku,units")
    merged: dict[tuple[str, str, str, date], list[Any]] = {}
    for number, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        try:
            day = date.fromisoformat(row["date"])
            units = int(row["units"])
            price = Decimal(row.get("unit_price") or "0")
            revenue = Decimal(row["revenue"]) if row.get("revenue") else price * units
        except (ValueError, InvalidOperation) as error:
            raise SalesImportError(f"line {number}: {error}") from error
        sku = row["sku"]
        if not sku or SEPARATOR in sku or units < 0 or not revenue.is_finite():
            raise SalesImportError(f"line {number}: needs a SKU and units ≥ 0")
        key = (sku, row.get("warehouse", ""), row.get("channel") or default_channel, day)
        slot = merged.setdefault(key, [0, Decimal(0), False])
        slot[0] += units
        slot[1] += revenue
        slot[2] = slot[2] or row.get("promo", "").lower() in TRUE
    if not merged:
        raise SalesImportError("sales file has no rows")
    return [(*key, units, revenue, promo) for key, (units, revenue, promo) in merged.items()]


def import_sales(pool: Pool, text: str, source: str, imported_by: str) -> ImportResult:
    """Import historical daily sales in one transaction: a day imported again is replaced, never doubled."""
    rows = parse_sales_csv(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    with pool.connection() as conn, conn.transaction():
        import_id = conn.execute(
            "INSERT INTO sales_imports (imported_by, source, sha256, rows) VALUES (%s, %s, %s, %s) RETURNING id",
            (imported_by, source, digest, len(rows)),
        ).fetchone()
        assert import_id is not None  # noqa: S101 - INSERT ... RETURNING returns the row
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO sales_imported (sku, warehouse, channel, day, units, revenue, promo, import_id) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (sku, warehouse, channel, day) DO UPDATE SET "
                "units = EXCLUDED.units, revenue = EXCLUDED.revenue, promo = EXCLUDED.promo, "
                "import_id = EXCLUDED.import_id",
                [(*row, import_id[0]) for row in rows],
            )
    days = [row[3] for row in rows]
    return ImportResult(int(import_id[0]), len(rows), len({row[0] for row in rows}), min(days), max(days))


def chunks(items: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
