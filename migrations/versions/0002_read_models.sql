-- Read models (one projection each) and their single-row tracking tables (eventsourcing layout,
-- `<projection>_tracking`, with the `__migration__` marker row the library writes when it creates one).
CREATE TABLE IF NOT EXISTS order_summary_tracking (application_name text PRIMARY KEY, notification_id bigint);
CREATE TABLE IF NOT EXISTS stock_levels_tracking (application_name text PRIMARY KEY, notification_id bigint);
CREATE TABLE IF NOT EXISTS ticket_queue_tracking (application_name text PRIMARY KEY, notification_id bigint);
CREATE TABLE IF NOT EXISTS product_catalog_tracking (application_name text PRIMARY KEY, notification_id bigint);
CREATE TABLE IF NOT EXISTS warehouse_list_tracking (application_name text PRIMARY KEY, notification_id bigint);
CREATE TABLE IF NOT EXISTS customer_profile_tracking (application_name text PRIMARY KEY, notification_id bigint);
INSERT INTO order_summary_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;
INSERT INTO stock_levels_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;
INSERT INTO ticket_queue_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;
INSERT INTO product_catalog_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;
INSERT INTO warehouse_list_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;
INSERT INTO customer_profile_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS order_summary (
    id uuid PRIMARY KEY,
    channel text NOT NULL,
    external_id text NOT NULL,
    status text NOT NULL,
    customer_id text NOT NULL,
    customer jsonb NOT NULL,
    currency text NOT NULL,
    total numeric(18, 2) NOT NULL,
    paid numeric(18, 2) NOT NULL DEFAULT 0,
    version integer NOT NULL,
    position bigint NOT NULL,
    placed_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (channel, external_id)
);
CREATE INDEX IF NOT EXISTS order_summary_status_idx ON order_summary (status, id);
CREATE INDEX IF NOT EXISTS order_summary_channel_idx ON order_summary (channel, id);
CREATE INDEX IF NOT EXISTS order_summary_customer_idx ON order_summary (customer_id, id);

CREATE TABLE IF NOT EXISTS order_summary_lines (
    order_id uuid NOT NULL REFERENCES order_summary (id) ON DELETE CASCADE,
    line_no integer NOT NULL,
    sku text NOT NULL,
    quantity integer NOT NULL,
    unit_price numeric(18, 2) NOT NULL,
    allocated jsonb NOT NULL DEFAULT '[]',
    backordered integer NOT NULL DEFAULT 0,
    shipped integer NOT NULL DEFAULT 0,
    returned integer NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, sku)
);

CREATE TABLE IF NOT EXISTS stock_levels (
    sku text NOT NULL,
    warehouse text NOT NULL,
    on_hand integer NOT NULL DEFAULT 0,
    reserved integer NOT NULL DEFAULT 0,
    inbound integer NOT NULL DEFAULT 0,
    policy jsonb,
    version integer NOT NULL,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (sku, warehouse)
);
CREATE INDEX IF NOT EXISTS stock_levels_warehouse_idx ON stock_levels (warehouse, sku);

CREATE TABLE IF NOT EXISTS stock_transfers (
    id uuid PRIMARY KEY,
    sku text NOT NULL,
    from_warehouse text NOT NULL,
    to_warehouse text NOT NULL,
    quantity integer NOT NULL,
    status text NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS ticket_queue (
    id uuid PRIMARY KEY,
    status text NOT NULL,
    category text NOT NULL,
    priority text NOT NULL,
    assignee text,
    customer_id text NOT NULL,
    order_id uuid,
    channel text NOT NULL,
    subject text NOT NULL,
    opened_at timestamptz NOT NULL,
    first_response_at timestamptz,
    resolved_at timestamptz,
    first_response_due timestamptz NOT NULL,
    resolution_due timestamptz NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ticket_queue_status_idx ON ticket_queue (status, id);
CREATE INDEX IF NOT EXISTS ticket_queue_assignee_idx ON ticket_queue (assignee, id);

CREATE TABLE IF NOT EXISTS ticket_agents (
    code text PRIMARY KEY,
    name text NOT NULL,
    skills text[] NOT NULL,
    capacity integer NOT NULL,
    online boolean NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS product_catalog (
    sku text PRIMARY KEY,
    name text NOT NULL,
    category text NOT NULL,
    unit_price numeric(18, 2) NOT NULL,
    currency text NOT NULL,
    lead_time_days integer NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS warehouse_list (
    code text PRIMARY KEY,
    name text NOT NULL,
    region text NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS customer_profile (
    id text PRIMARY KEY,
    name text,
    email text,
    phone text,
    address jsonb,
    order_count integer NOT NULL DEFAULT 0,
    ticket_count integer NOT NULL DEFAULT 0,
    first_seen timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    position bigint NOT NULL
);
