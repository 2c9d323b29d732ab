-- Columns the workers' events need in the read models, and the replenishment list.
ALTER TABLE order_summary ADD COLUMN IF NOT EXISTS warehouses text[] NOT NULL DEFAULT '{}';
ALTER TABLE stock_levels ADD COLUMN IF NOT EXISTS on_order integer NOT NULL DEFAULT 0;
ALTER TABLE stock_levels ADD COLUMN IF NOT EXISTS id uuid UNIQUE;
ALTER TABLE product_catalog ADD COLUMN IF NOT EXISTS id uuid UNIQUE;
ALTER TABLE warehouse_list ADD COLUMN IF NOT EXISTS id uuid UNIQUE;
ALTER TABLE ticket_agents ADD COLUMN IF NOT EXISTS id uuid UNIQUE;
ALTER TABLE ticket_queue ADD COLUMN IF NOT EXISTS waiting_since timestamptz;
ALTER TABLE ticket_queue ADD COLUMN IF NOT EXISTS paused_seconds double precision NOT NULL DEFAULT 0;
ALTER TABLE ticket_queue ADD COLUMN IF NOT EXISTS escalations text[] NOT NULL DEFAULT '{}';
ALTER TABLE ticket_queue ADD COLUMN IF NOT EXISTS classification jsonb;
ALTER TABLE ticket_agents ADD COLUMN IF NOT EXISTS load integer NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS ticket_queue_customer_idx ON ticket_queue (customer_id, opened_at);

CREATE TABLE IF NOT EXISTS replenishments (
    id uuid PRIMARY KEY,
    sku text NOT NULL,
    warehouse text NOT NULL,
    quantity integer NOT NULL,
    kind text NOT NULL,
    source_warehouse text,
    reason text NOT NULL,
    status text NOT NULL,
    decision jsonb NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS replenishments_status_idx ON replenishments (status, id);
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopops_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON replenishments TO shopops_app;
    END IF;
END $$;
