-- Crypto-shredding (A4): customer contact data in events is encrypted with a per-customer key kept here,
-- outside the event log. Erasure deletes the key (the row stays as a record of who erased whom, when).
CREATE TABLE IF NOT EXISTS customer_keys (
    customer_id text PRIMARY KEY,
    key bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    erased_at timestamptz,
    erased_by text
);
ALTER TABLE customer_profile ADD COLUMN IF NOT EXISTS sealed text;
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopops_app') THEN
        GRANT SELECT, INSERT, UPDATE ON customer_keys TO shopops_app;
    END IF;
END $$;
