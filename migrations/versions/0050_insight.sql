-- Insight (issue 12): lifecycle business times on orders, daily stock snapshots, alerts and their webhooks.

-- Order lifecycle (business time of the events that moved the order; NULL until it happened).
ALTER TABLE order_summary ADD COLUMN IF NOT EXISTS allocated_at timestamptz;
ALTER TABLE order_summary ADD COLUMN IF NOT EXISTS fully_allocated_at timestamptz;
ALTER TABLE order_summary ADD COLUMN IF NOT EXISTS backordered_at timestamptz;
ALTER TABLE order_summary ADD COLUMN IF NOT EXISTS first_shipped_at timestamptz;
ALTER TABLE order_summary ADD COLUMN IF NOT EXISTS shipped_at timestamptz;
ALTER TABLE order_summary ADD COLUMN IF NOT EXISTS delivered_at timestamptz;
ALTER TABLE order_summary ADD COLUMN IF NOT EXISTS cancelled_at timestamptz;
CREATE INDEX IF NOT EXISTS order_summary_placed_idx ON order_summary (placed_at);
-- Each allocation of an order line, with its business time (fill rate within 24 h of placement).
CREATE TABLE IF NOT EXISTS order_summary_allocations (
    order_id uuid NOT NULL REFERENCES order_summary (id) ON DELETE CASCADE,
    sku text NOT NULL,
    warehouse text NOT NULL,
    quantity integer NOT NULL,
    allocated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS order_summary_allocations_order_idx ON order_summary_allocations (order_id);

-- Read model `stock_snapshots`: the closing on-hand (and value at moving-average cost) of each SKU × warehouse
-- on each business day with a movement; a day without a row carries the previous row forward.
CREATE TABLE IF NOT EXISTS stock_snapshots_tracking (application_name text PRIMARY KEY, notification_id bigint);
INSERT INTO stock_snapshots_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS stock_daily (
    sku text NOT NULL,
    warehouse text NOT NULL,
    day date NOT NULL,
    on_hand integer NOT NULL,
    value numeric(18, 4),
    received integer NOT NULL DEFAULT 0,
    shipped integer NOT NULL DEFAULT 0,
    cogs numeric(18, 4) NOT NULL DEFAULT 0,
    PRIMARY KEY (sku, warehouse, day)
);
CREATE INDEX IF NOT EXISTS stock_daily_day_idx ON stock_daily (day);
-- Per stock stream: its SKU × warehouse and the moving-average unit cost seen in its events (NULL: unknown).
CREATE TABLE IF NOT EXISTS stock_cost (
    id uuid PRIMARY KEY,
    sku text NOT NULL,
    warehouse text NOT NULL,
    on_hand integer NOT NULL DEFAULT 0,
    unit_cost numeric(18, 4),
    currency text
);

-- Read model `alerts`: one row per (kind, subject) with its current occurrence.
CREATE TABLE IF NOT EXISTS alerts_tracking (application_name text PRIMARY KEY, notification_id bigint);
INSERT INTO alerts_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS alerts (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    severity text NOT NULL,
    subject text NOT NULL,
    status text NOT NULL,
    raised_at timestamptz NOT NULL,
    acknowledged_at timestamptz,
    resolved_at timestamptz,
    inputs jsonb NOT NULL,
    departments text[] NOT NULL,
    note text,
    occurrence integer NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_status_idx ON alerts (status, raised_at);
CREATE INDEX IF NOT EXISTS alerts_position_idx ON alerts (position);

-- Webhook subscriptions to alerts (configuration, like users; the secret signs each POST).
CREATE TABLE IF NOT EXISTS alert_subscriptions (
    id text PRIMARY KEY,
    url text NOT NULL,
    kinds text[] NOT NULL,
    secret text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopops_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON order_summary_allocations, stock_snapshots_tracking, stock_daily,
            stock_cost, alerts_tracking, alerts, alert_subscriptions TO shopops_app;
    END IF;
END $$;
