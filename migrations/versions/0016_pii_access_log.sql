-- Every unmasking of customer contact data by an auditor is recorded here (append-only, like the event log).
CREATE TABLE IF NOT EXISTS pii_access_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    role text NOT NULL,
    customer_id text NOT NULL,
    reason text NOT NULL,
    request_id text
);
DROP TRIGGER IF EXISTS pii_access_log_append_only ON pii_access_log;
CREATE TRIGGER pii_access_log_append_only BEFORE UPDATE OR DELETE ON pii_access_log
    FOR EACH ROW EXECUTE FUNCTION shopops_refuse_change();
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopops_app') THEN
        GRANT SELECT, INSERT ON pii_access_log TO shopops_app;
        GRANT USAGE, SELECT ON SEQUENCE pii_access_log_id_seq TO shopops_app;
    END IF;
END $$;
