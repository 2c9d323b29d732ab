"""Read models `product_catalog` and `warehouse_list`: the catalog as clients list it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from psycopg import Cursor

from domain.catalog import Product, Warehouse
from infrastructure.readmodels.base import Pool, Projection, decode_cursor, money, next_cursor

products = Projection("product_catalog", ("product_catalog",))
warehouses = Projection("warehouse_list", ("warehouse_list",))


def _product_fields(event: Any, position: int) -> tuple[Any, ...]:
    """The columns a registration and an update both write, in the order the statements name them."""
    return (
        event.name,
        event.category,
        Decimal(event.unit_price),
        event.currency,
        event.lead_time_days,
        event.originator_version,
        position,
        event.timestamp,
    )


@products.on(Product.Created)
def product_registered(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "INSERT INTO product_catalog (name, category, unit_price, currency, lead_time_days, version, "
        "position, updated_at, id, sku) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (*_product_fields(event, position), event.originator_id, event.sku),
    )


@products.on(Product.Updated)
def product_updated(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "UPDATE product_catalog SET name = %s, category = %s, unit_price = %s, currency = %s, lead_time_days = %s, "
        "version = %s, position = %s, updated_at = %s WHERE id = %s",
        (*_product_fields(event, position), event.originator_id),
    )


@products.on(Product.StandardCostSet)
def product_cost_set(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "UPDATE product_catalog SET unit_cost = %s, cost_currency = %s, version = %s, position = %s, updated_at = %s "
        "WHERE id = %s",
        (
            Decimal(event.unit_cost),
            event.currency,
            event.originator_version,
            position,
            event.timestamp,
            event.originator_id,
        ),
    )


@warehouses.on(Warehouse.Created)
def warehouse_registered(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "INSERT INTO warehouse_list (id, code, name, region, version, position) VALUES (%s, %s, %s, %s, %s, %s)",
        (event.originator_id, event.code, event.name, event.region, event.originator_version, position),
    )


@warehouses.on(Warehouse.Updated)
def warehouse_updated(cur: Cursor[Any], event: Any, position: int) -> None:
    cur.execute(
        "UPDATE warehouse_list SET name = %s, region = %s, version = %s, position = %s WHERE id = %s",
        (event.name, event.region, event.originator_version, position, event.originator_id),
    )


# ---- queries (asyncpg) ---------------------------------------------------------------------------------


def _product(row: Any) -> dict[str, Any]:
    return {
        "sku": row["sku"],
        "name": row["name"],
        "category": row["category"],
        "unit_price": money(row["unit_price"], row["currency"]),
        "lead_time_days": row["lead_time_days"],
        "unit_cost": money(row["unit_cost"], row["cost_currency"]) if row["unit_cost"] is not None else None,
        "version": row["version"],
        "position": row["position"],
    }


async def get_product(db: Any, sku: str) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT * FROM product_catalog WHERE sku = $1", sku)
    return _product(row) if row else None


async def list_products(
    db: Any, *, category: str | None = None, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    after = decode_cursor(cursor, 1)
    rows = await db.fetch(
        "SELECT * FROM product_catalog WHERE ($1::text IS NULL OR category = $1) AND ($2::text IS NULL OR sku > $2) "
        "ORDER BY sku LIMIT $3",
        category,
        after[0] if after else None,
        limit,
    )
    items = [_product(r) for r in rows]
    return items, next_cursor(items, limit, "sku")


def _warehouse(row: Any) -> dict[str, Any]:
    return {k: row[k] for k in ("code", "name", "region", "version", "position")}


async def get_warehouse(db: Any, code: str) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT * FROM warehouse_list WHERE code = $1", code)
    return _warehouse(row) if row else None


async def list_warehouses(
    db: Any, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    after = decode_cursor(cursor, 1)
    rows = await db.fetch(
        "SELECT * FROM warehouse_list WHERE ($1::text IS NULL OR code > $1) ORDER BY code LIMIT $2",
        after[0] if after else None,
        limit,
    )
    items = [_warehouse(r) for r in rows]
    return items, next_cursor(items, limit, "code")


# ---- for the workers (psycopg): where to look; every decision is re-checked on the aggregates ----


def warehouse_regions(pool: Pool) -> dict[str, str]:
    """Every registered warehouse code with its region."""
    with pool.connection() as conn:
        return dict(conn.execute("SELECT code, region FROM warehouse_list ORDER BY code").fetchall())
