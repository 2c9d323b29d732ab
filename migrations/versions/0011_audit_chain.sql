-- Tamper evidence (A3): a hash chain over the event log in log order, and checkpoints signed with a key
-- that never lives in the database. The chain's own tracking is its highest chained notification id.
CREATE TABLE IF NOT EXISTS audit_chain (
    notification_id bigint PRIMARY KEY,
    link bytea NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    notification_id bigint PRIMARY KEY,
    link bytea NOT NULL,
    chained integer NOT NULL,
    signature bytea NOT NULL,
    key_id text NOT NULL,
    signed_at timestamptz NOT NULL DEFAULT now()
);
