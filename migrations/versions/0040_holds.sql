-- Checkout holds (issue 11): the `holds` read model (the expiry sweep reads it) and stock levels' `held`.
CREATE TABLE IF NOT EXISTS holds_tracking (application_name text PRIMARY KEY, notification_id bigint);
INSERT INTO holds_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS holds (
    id uuid PRIMARY KEY,
    sku text NOT NULL,
    warehouse text NOT NULL,
    quantity integer NOT NULL,
    reference text NOT NULL,
    status text NOT NULL,
    expires_at timestamptz NOT NULL,
    order_id text,
    version integer NOT NULL,
    position bigint NOT NULL,
    placed_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS holds_active_expiry_idx ON holds (expires_at) WHERE status = 'active';

ALTER TABLE stock_levels ADD COLUMN IF NOT EXISTS held integer NOT NULL DEFAULT 0;

DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopops_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON holds_tracking, holds TO shopops_app;
    END IF;
END $$;
