-- API users (created by `shopops user add`) and stored responses for Idempotency-Key.
CREATE TABLE IF NOT EXISTS api_users (
    username text PRIMARY KEY,
    password_hash text NOT NULL,
    roles text[] NOT NULL,
    warehouses text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS idempotency_keys (
    principal text NOT NULL,
    key text NOT NULL,
    method text NOT NULL,
    path text NOT NULL,
    request_hash text NOT NULL,
    state text NOT NULL CHECK (state IN ('in_flight', 'done')),
    status_code integer,
    response bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    PRIMARY KEY (principal, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_created_idx ON idempotency_keys (created_at);
