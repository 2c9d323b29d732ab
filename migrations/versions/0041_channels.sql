-- Channels both ways (issue 11). The `available_to_sell` read model (rebuildable: `channels`, `channel_stock`,
-- `available_to_sell`; version = the log position of the change, so a rebuild gives the same versions) and
-- the push state, which is NOT a read model (a rebuild keeps what channels were told): `channel_pushes` per
-- (channel, SKU), `channel_sync` per channel (failures, rate-limit slot), `channel_fulfilments` sent.
CREATE TABLE IF NOT EXISTS available_to_sell_tracking (application_name text PRIMARY KEY, notification_id bigint);
INSERT INTO available_to_sell_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS channels (
    channel text PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    name text NOT NULL,
    warehouses text[] NOT NULL,
    share numeric(6, 5) NOT NULL,
    buffer integer NOT NULL,
    stock_url text,
    fulfilment_url text,
    version integer NOT NULL,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS channel_stock (
    id uuid NOT NULL UNIQUE,
    sku text NOT NULL,
    warehouse text NOT NULL,
    available integer NOT NULL DEFAULT 0,
    PRIMARY KEY (sku, warehouse)
);

CREATE TABLE IF NOT EXISTS available_to_sell (
    channel text NOT NULL,
    sku text NOT NULL,
    available_to_sell integer NOT NULL,
    version bigint NOT NULL,
    changed_at timestamptz NOT NULL,
    PRIMARY KEY (channel, sku)
);

CREATE TABLE IF NOT EXISTS channel_pushes (
    channel text NOT NULL,
    sku text NOT NULL,
    pushed_value integer NOT NULL,
    pushed_version bigint NOT NULL,
    pushed_at timestamptz NOT NULL,
    lag_seconds double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, sku)
);

CREATE TABLE IF NOT EXISTS channel_sync (
    channel text PRIMARY KEY,
    next_slot timestamptz NOT NULL DEFAULT now(),
    last_pushed_at timestamptz,
    failures integer NOT NULL DEFAULT 0,
    last_error text,
    last_failure_at timestamptz
);

CREATE TABLE IF NOT EXISTS channel_fulfilments (
    order_id text NOT NULL,
    shipment_version bigint NOT NULL,
    channel text NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, shipment_version)
);

DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopops_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON available_to_sell_tracking, channels, channel_stock,
            available_to_sell, channel_pushes, channel_sync, channel_fulfilments TO shopops_app;
    END IF;
END $$;
