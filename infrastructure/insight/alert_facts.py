"""The facts the alert rules decide on, read from the read models (sync, for the evaluation job)."""

from __future__ import annotations

from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from infrastructure.channels.queries import channels_behind

Pool = ConnectionPool[Connection[Any]]

STOCK = """
SELECT l.sku, l.warehouse, l.on_hand, l.on_hand - l.reserved AS available, l.inbound, l.policy,
       coalesce((SELECT sum(s.units) FROM sales_daily s WHERE s.sku = l.sku AND s.warehouse IN (l.warehouse, '')
                 AND s.day > current_date - 28), 0)::float8 / 28 AS daily_demand
FROM stock_levels l
"""
HOURS = """
SELECT l.sku, sum(l.quantity)::int AS units_last_hour, f.upper_95_daily
FROM order_summary o JOIN order_summary_lines l ON l.order_id = o.id
JOIN LATERAL (
    SELECT (p->>'upper_95')::float8 AS upper_95_daily FROM forecasts fc, jsonb_array_elements(fc.points) p
    WHERE fc.sku = l.sku AND (p->>'date')::date = (now() AT TIME ZONE 'UTC')::date
    ORDER BY fc.generated_at DESC LIMIT 1
) f ON true
WHERE o.placed_at > now() - interval '1 hour'
GROUP BY l.sku, f.upper_95_daily
"""
BREACHES = """
SELECT id::text AS ticket_id, 'first_response' AS breach, first_response_due::text AS due FROM ticket_queue
WHERE status NOT IN ('resolved', 'closed') AND first_response_at IS NULL AND first_response_due < now()
UNION ALL
SELECT id::text, 'resolution', resolution_due::text FROM ticket_queue
WHERE status NOT IN ('resolved', 'closed', 'waiting_customer') AND resolution_due < now()
"""
EXCEPTIONS = (
    "SELECT id::text AS id, kind, settlement_id::text AS settlement_id, difference::text AS difference "
    "FROM recon_exceptions WHERE status = 'open' ORDER BY raised_at LIMIT 500"
)
PARKED = "SELECT id AS job_id, kind, attempts, last_error FROM jobs WHERE status = 'parked' ORDER BY id LIMIT 500"
ACCURACY = """
SELECT f.sku, f.warehouse, count(*)::int AS points,
       (avg(abs(coalesce(a.actual, 0) - (p->>'mean')::float8)) / nullif(f.scale, 0))::float8 AS mase
FROM (SELECT DISTINCT ON (sku, warehouse) * FROM forecasts
      WHERE generated_at > now() - interval '90 days' ORDER BY sku, warehouse, generated_at DESC) f
CROSS JOIN LATERAL jsonb_array_elements(f.points) p
LEFT JOIN LATERAL (SELECT sum(s.units)::float8 AS actual FROM sales_daily s WHERE s.sku = f.sku
                   AND (f.warehouse = '' OR s.warehouse = f.warehouse) AND s.day = (p->>'date')::date) a ON true
WHERE (p->>'date')::date < (now() AT TIME ZONE 'UTC')::date
GROUP BY f.sku, f.warehouse, f.scale
"""


class PgAlertFacts:
    """`application.ports.AlertFacts` over PostgreSQL. Channel sync is not on this branch: its facts are
    empty until that read model exists (the rule is ready)."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    def _rows(self, sql: str) -> list[dict[str, Any]]:
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            return list(cur.execute(sql).fetchall())

    def stock_levels(self) -> list[dict[str, Any]]:
        return self._rows(STOCK)

    def order_hours(self) -> list[dict[str, Any]]:
        return self._rows(HOURS)

    def ticket_breaches(self) -> list[dict[str, Any]]:
        return self._rows(BREACHES)

    def parked_jobs(self) -> list[dict[str, Any]]:
        return self._rows(PARKED)

    def forecast_accuracy(self) -> list[dict[str, Any]]:
        return self._rows(ACCURACY)

    def reconciliation_exceptions(self) -> list[dict[str, Any]]:
        """Open settlement exceptions of the money feature's reconciliation."""
        return self._rows(EXCEPTIONS)

    def channel_lags(self) -> list[dict[str, Any]]:
        """`{channel, lag_seconds, pending, failures, last_error}` for every channel with changes its receiver
        has not acknowledged (the rule compares the lag with its threshold)."""
        return [{**row, "lag_seconds": row["behind_seconds"]} for row in channels_behind(self.pool, 0)]

    def open_alerts(self) -> list[tuple[str, str]]:
        with self.pool.connection() as conn:
            rows = conn.execute("SELECT kind, subject FROM alerts WHERE status IN ('open', 'acknowledged')").fetchall()
        return [(str(kind), str(subject)) for kind, subject in rows]
