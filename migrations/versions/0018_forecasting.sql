-- Forecasting (issue 4): the sales history read model, imported ERP history, published forecasts, refresh runs.

-- Read model `sales_history`, built from order events by its projection. Demand is dated by the order's
-- business time and counted in the warehouse that allocated it; '' holds units not (yet) allocated.
CREATE TABLE IF NOT EXISTS sales_history_tracking (application_name text PRIMARY KEY, notification_id bigint);
INSERT INTO sales_history_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS sales_daily (
    sku text NOT NULL,
    warehouse text NOT NULL,
    channel text NOT NULL,
    day date NOT NULL,
    units integer NOT NULL DEFAULT 0,
    revenue numeric(18, 4) NOT NULL DEFAULT 0,
    promo_units integer NOT NULL DEFAULT 0,
    PRIMARY KEY (sku, warehouse, channel, day)
);
-- Per order line: what the projection needs to move units between warehouses and to take them back on cancel.
CREATE TABLE IF NOT EXISTS sales_order_lines (
    order_id uuid NOT NULL,
    sku text NOT NULL,
    channel text NOT NULL,
    day date NOT NULL,
    quantity integer NOT NULL,
    unit_price numeric(18, 4) NOT NULL,
    promo boolean NOT NULL,
    allocated jsonb NOT NULL DEFAULT '{}',
    cancelled boolean NOT NULL DEFAULT false,
    PRIMARY KEY (order_id, sku)
);

-- Historical sales imported from an ERP for a cold start (not a projection table: rebuilds keep it).
CREATE TABLE IF NOT EXISTS sales_imported (
    sku text NOT NULL,
    warehouse text NOT NULL,
    channel text NOT NULL,
    day date NOT NULL,
    units integer NOT NULL,
    revenue numeric(18, 4) NOT NULL,
    promo boolean NOT NULL DEFAULT false,
    import_id bigint NOT NULL,
    PRIMARY KEY (sku, warehouse, channel, day)
);
CREATE TABLE IF NOT EXISTS sales_imports (
    id bigserial PRIMARY KEY,
    imported_at timestamptz NOT NULL DEFAULT now(),
    imported_by text NOT NULL,
    source text NOT NULL,
    sha256 text NOT NULL,
    rows integer NOT NULL
);

-- Daily sales from both sources (an imported day wins over the projection's for the same key).
CREATE OR REPLACE VIEW sales_history AS
    SELECT s.sku, s.warehouse, s.channel, s.day, s.units, s.revenue, s.promo_units > 0 AS promo
    FROM sales_daily s
    WHERE NOT EXISTS (
        SELECT 1 FROM sales_imported i
        WHERE i.sku = s.sku AND i.warehouse = s.warehouse AND i.channel = s.channel AND i.day = s.day
    )
    UNION ALL
    SELECT sku, warehouse, channel, day, units, revenue, promo FROM sales_imported;

-- A refresh: one per request or schedule slot; its batches run as separate jobs.
CREATE TABLE IF NOT EXISTS forecast_runs (
    job_id bigint PRIMARY KEY,
    trigger text NOT NULL,
    requested_by text NOT NULL,
    skus text[],
    horizon_days integer NOT NULL,
    batches integer,
    batches_done integer NOT NULL DEFAULT 0,
    series integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

-- Every published forecast, kept (the latest per SKU × warehouse is the one in use; '' = all warehouses).
CREATE TABLE IF NOT EXISTS forecasts (
    id bigserial PRIMARY KEY,
    run_id bigint NOT NULL,
    sku text NOT NULL,
    warehouse text NOT NULL,
    generated_at timestamptz NOT NULL,
    model text NOT NULL,
    kind text NOT NULL,
    params jsonb NOT NULL,
    horizon_days integer NOT NULL,
    window_start date NOT NULL,
    window_end date NOT NULL,
    observations integer NOT NULL,
    scale double precision NOT NULL,
    error_sd double precision NOT NULL,
    backtest jsonb NOT NULL,
    points jsonb NOT NULL,
    mean_daily double precision NOT NULL,
    UNIQUE (run_id, sku, warehouse)
);
CREATE INDEX IF NOT EXISTS forecasts_latest_idx ON forecasts (sku, warehouse, generated_at DESC, id DESC);

DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopops_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON sales_history_tracking, sales_daily, sales_order_lines,
            sales_imported, sales_imports, forecast_runs, forecasts TO shopops_app;
        GRANT SELECT ON sales_history TO shopops_app;
        GRANT USAGE, SELECT ON SEQUENCE sales_imports_id_seq, forecasts_id_seq TO shopops_app;
    END IF;
END $$;
