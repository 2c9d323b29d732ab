"""The SQL of the KPIs (PostgreSQL aggregates and percentile_cont; nothing loops over rows in Python).

Named parameters (`infrastructure.insight.binding`): start/end of the period (end exclusive), its first day and
the day after it (end_day), the filters channel/warehouse/category (NULL: all). Only events dated before the
period's end count, so a past period's figures never change when later events arrive.
"""

# Orders placed in the period that match the filters (a warehouse matches when it allocated to the order
# before the end of the period; a category when one of the order's lines is of it). The filters are
# uncorrelated `IN` subqueries, which PostgreSQL runs once and hashes; a correlated EXISTS under `OR` ran once
# per order (tens of seconds over a year).
ORDERS = """
WITH o AS (
    SELECT o.id, o.channel, o.external_id, o.currency, o.placed_at, o.allocated_at, o.fully_allocated_at,
           o.backordered_at, o.shipped_at, o.cancelled_at, o.placed_to_allocated_s, o.placed_to_shipped_s
    FROM order_summary o
    WHERE o.placed_at >= :start AND o.placed_at < :end AND (:channel::text IS NULL OR o.channel = :channel)
      AND (:warehouse::text IS NULL OR o.id IN (SELECT a.order_id FROM order_summary_allocations a
                                                WHERE a.warehouse = :warehouse AND a.allocated_at < :end))
      AND (:category::text IS NULL OR o.id IN (SELECT l.order_id FROM order_summary_lines l
                                               JOIN product_catalog p ON p.sku = l.sku WHERE p.category = :category))
), live AS (SELECT * FROM o WHERE o.cancelled_at IS NULL OR o.cancelled_at >= :end)
"""

ORDER_FIGURES = (
    ORDERS
    + """
SELECT (SELECT count(*) FROM o) AS count,
       percentile_cont(ARRAY[0.5, 0.9, 0.95]) WITHIN GROUP (ORDER BY placed_to_allocated_s)
           FILTER (WHERE allocated_at < :end) AS to_allocated,
       percentile_cont(ARRAY[0.5, 0.9, 0.95]) WITHIN GROUP (ORDER BY placed_to_shipped_s)
           FILTER (WHERE shipped_at < :end) AS to_shipped,
       count(*) AS live,
       count(*) FILTER (WHERE fully_allocated_at < :end AND fully_allocated_at <= placed_at + interval '24 hours')
           AS filled_24h,
       count(*) FILTER (WHERE backordered_at < :end) AS backordered
FROM live
"""
)

# Units ordered and allocated within 24 h of placement, per line of the live orders (capped at the line). An
# allocation within 24 h counts even when it falls after the period end: the figure is final a day after it.
# The allocations are summed per order line in one grouped pass (not one lookup per line).
FILL_UNITS = (
    ORDERS
    + """
, early AS (
    SELECT x.order_id, x.sku, sum(x.quantity) AS units
    FROM live JOIN order_summary_allocations x ON x.order_id = live.id
    WHERE x.allocated_at <= live.placed_at + interval '24 hours' AND (:warehouse::text IS NULL OR x.warehouse = :warehouse)
    GROUP BY x.order_id, x.sku
)
SELECT coalesce(sum(l.quantity), 0)::bigint AS ordered,
       coalesce(sum(least(l.quantity, coalesce(a.units, 0))), 0)::bigint AS filled
FROM live JOIN order_summary_lines l ON l.order_id = live.id
LEFT JOIN product_catalog p ON p.sku = l.sku
LEFT JOIN early a ON a.order_id = l.order_id AND a.sku = l.sku
WHERE :category::text IS NULL OR p.category = :category
"""
)

# Sales: lines of live orders (of the category when filtered), by channel and currency. The category filter
# applies to the lines joined here, so it needs no per-order test.
SALES = """
SELECT o.channel, o.currency, count(DISTINCT o.id) AS orders, coalesce(sum(l.quantity), 0)::bigint AS units,
       coalesce(sum(l.quantity * l.unit_price), 0) AS revenue
FROM order_summary o JOIN order_summary_lines l ON l.order_id = o.id
LEFT JOIN product_catalog p ON p.sku = l.sku
WHERE o.placed_at >= :start AND o.placed_at < :end AND (:channel::text IS NULL OR o.channel = :channel)
  AND (o.cancelled_at IS NULL OR o.cancelled_at >= :end)
  AND (:warehouse::text IS NULL OR o.id IN (SELECT a.order_id FROM order_summary_allocations a
                                            WHERE a.warehouse = :warehouse AND a.allocated_at < :end))
  AND (:category::text IS NULL OR p.category = :category)
GROUP BY o.channel, o.currency ORDER BY o.channel, o.currency
"""

# Daily snapshots of the filtered SKU × warehouse pairs, each row covering [day, next row's day).
SNAPSHOTS = """
WITH s AS (
    SELECT d.*, lead(d.day) OVER (PARTITION BY d.sku, d.warehouse ORDER BY d.day) AS next_day
    FROM stock_daily d LEFT JOIN product_catalog p ON p.sku = d.sku
    WHERE d.day < :end_day AND (:warehouse::text IS NULL OR d.warehouse = :warehouse) AND (:category::text IS NULL OR p.category = :category)
)
"""

INVENTORY_FIGURES = """
SELECT
    coalesce(sum(value) FILTER (WHERE next_day IS NULL OR next_day >= :end_day), 0) AS closing_value,
    coalesce(sum(on_hand) FILTER (WHERE day < :first_day AND (next_day IS NULL OR next_day >= :first_day)), 0) AS opening_units,
    coalesce(sum(cogs) FILTER (WHERE day >= :first_day), 0) AS cogs,
    coalesce(sum(received) FILTER (WHERE day >= :first_day), 0) AS received,
    coalesce(sum(shipped) FILTER (WHERE day >= :first_day), 0) AS shipped,
    sum(value * (least(coalesce(next_day, :end_day), :end_day) - greatest(day, :first_day)))
        FILTER (WHERE coalesce(next_day, :end_day) > :first_day) AS value_days,
    bool_or(value IS NULL) FILTER (WHERE on_hand <> 0) AS value_unknown
FROM s
"""

# Slow movers at the end of the period: on hand > 0, units shipped over the last :slow_days days below :slow_pct % of the
# average on hand over those days.
SLOW_PAIRS = """
, w AS (
    SELECT sku, warehouse,
           sum(on_hand * (least(coalesce(next_day, :end_day), :end_day) - greatest(day, :end_day - :slow_days::int)))
               FILTER (WHERE coalesce(next_day, :end_day) > :end_day - :slow_days::int)::numeric / :slow_days AS average_on_hand,
           coalesce(sum(shipped) FILTER (WHERE day >= :end_day - :slow_days::int), 0) AS sold,
           (array_agg(on_hand ORDER BY day DESC))[1] AS on_hand,
           (array_agg(value ORDER BY day DESC))[1] AS value
    FROM s GROUP BY sku, warehouse
), stocked AS (
    SELECT sku, warehouse, on_hand, value, sold, average_on_hand,
           sold < coalesce(average_on_hand, 0) * :slow_pct::numeric / 100 AS slow
    FROM w WHERE on_hand > 0
)
"""

SLOW = SNAPSHOTS + SLOW_PAIRS + "SELECT * FROM stocked ORDER BY sku, warehouse"

# The inventory figures (one row) beside each stocked pair's slow-mover test, from one pass over the snapshots:
# every row repeats the figures; with nothing stocked there is one row whose pair columns are NULL.
STOCK = (
    SNAPSHOTS
    + SLOW_PAIRS
    + ", figures AS ("
    + INVENTORY_FIGURES
    + """)
SELECT figures.*, stocked.* FROM figures LEFT JOIN stocked ON true ORDER BY stocked.sku, stocked.warehouse
"""
)

TICKETS = """
WITH t AS (
    SELECT t.*, extract(epoch FROM first_response_at - opened_at) AS first_s,
           extract(epoch FROM resolved_at - opened_at) AS resolution_s,
           (coalesce(least(first_response_at, :end), :end) > first_response_due
            OR coalesce(least(resolved_at, :end), :end) > resolution_due) AS breached
    FROM ticket_queue t
    WHERE opened_at >= :start AND opened_at < :end AND (:channel::text IS NULL OR channel = :channel)
)
SELECT count(*) AS opened,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY first_s) FILTER (WHERE first_response_at < :end) AS first,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY resolution_s) FILTER (WHERE resolved_at < :end) AS resolution,
       count(*) FILTER (WHERE breached) AS breached
FROM t
"""

# Realised forecast accuracy on the period's days: for each SKU × warehouse × day, the latest forecast made
# before that day, against the units sold that day.
FORECASTS = """
WITH p AS (
    SELECT DISTINCT ON (f.sku, f.warehouse, (x->>'date')::date)
           f.sku, f.warehouse, (x->>'date')::date AS day, (x->>'mean')::float8 AS forecast, f.scale
    FROM forecasts f CROSS JOIN LATERAL jsonb_array_elements(f.points) x
    LEFT JOIN product_catalog c ON c.sku = f.sku
    WHERE (x->>'date')::date >= :first_day AND (x->>'date')::date < :end_day AND (x->>'date')::date < (:end AT TIME ZONE 'UTC')::date
      AND f.generated_at < (x->>'date')::date AND (:warehouse::text IS NULL OR f.warehouse = :warehouse)
      AND (:category::text IS NULL OR c.category = :category)
    ORDER BY f.sku, f.warehouse, (x->>'date')::date, f.generated_at DESC
), a AS (
    SELECT p.*, coalesce((SELECT sum(s.units) FROM sales_daily s WHERE s.sku = p.sku AND s.day = p.day
                          AND (p.warehouse = '' OR s.warehouse = p.warehouse)), 0)::float8 AS actual
    FROM p
)
SELECT count(*) AS points, avg(abs(actual - forecast) / nullif(scale, 0)) AS mase,
       100 * sum(forecast - actual) / nullif(sum(actual), 0) AS bias_pct
FROM a
"""

# Money (from the money feature's read models): refunds approved of those requested in the period, and
# payments recorded before the period end that no settlement has claimed yet.
MONEY = """
SELECT
    (SELECT coalesce(sum(r.amount), 0) FROM refunds r JOIN order_summary o ON o.id = r.order_id
     WHERE r.requested_at >= :start AND r.requested_at < :end AND r.status IN ('approved', 'paid')
       AND (:channel::text IS NULL OR o.channel = :channel)) AS refunds,
    (SELECT coalesce(sum(p.amount), 0) FROM recon_payments p JOIN order_summary o ON o.id = p.order_id
     WHERE p.recorded_at < :end AND (:channel::text IS NULL OR o.channel = :channel)
       AND NOT EXISTS (SELECT 1 FROM recon_claims c WHERE c.kind = 'payment' AND c.reference = p.reference)) AS unreconciled
"""

# Without warehouse or category filters the order figures and sales come from order rows alone (their units,
# totals and units allocated within 24 h are kept on the order), in one scan per statement.
FAST_ORDERS = """
WITH o AS (
    SELECT *, (cancelled_at IS NULL OR cancelled_at >= :end) AS live FROM order_summary
    WHERE placed_at >= :start AND placed_at < :end AND (:channel::text IS NULL OR channel = :channel)
)
SELECT count(*) AS count,
       percentile_cont(ARRAY[0.5, 0.9, 0.95]) WITHIN GROUP (ORDER BY placed_to_allocated_s)
           FILTER (WHERE live AND allocated_at < :end) AS to_allocated,
       percentile_cont(ARRAY[0.5, 0.9, 0.95]) WITHIN GROUP (ORDER BY placed_to_shipped_s)
           FILTER (WHERE live AND shipped_at < :end) AS to_shipped,
       count(*) FILTER (WHERE live) AS live,
       count(*) FILTER (WHERE live AND fully_allocated_at < :end AND fully_allocated_at <= placed_at + interval '24 hours')
           AS filled_24h,
       count(*) FILTER (WHERE live AND backordered_at < :end) AS backordered,
       coalesce(sum(units) FILTER (WHERE live), 0)::bigint AS ordered,
       coalesce(sum(filled_24h) FILTER (WHERE live), 0)::bigint AS filled
FROM o
"""

FAST_SALES = """
SELECT channel, currency, count(*) AS orders, coalesce(sum(units), 0)::bigint AS units,
       coalesce(sum(total), 0) AS revenue
FROM order_summary
WHERE placed_at >= :start AND placed_at < :end AND (:channel::text IS NULL OR channel = :channel)
  AND (cancelled_at IS NULL OR cancelled_at >= :end)
GROUP BY channel, currency ORDER BY channel, currency
"""
