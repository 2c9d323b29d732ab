-- A runtime role for the API, projections, relay and workers: it reads and appends events but cannot change
-- or remove them. eventsourcing takes `LOCK TABLE ... IN EXCLUSIVE MODE` before each insert, and PostgreSQL
-- only lets a role take that lock with UPDATE, DELETE or TRUNCATE privilege, so the role is granted UPDATE
-- for the lock alone and a trigger refuses every UPDATE, DELETE and TRUNCATE of events (and of the audit
-- chain) for everyone but the table owner's migrations. Set its password with
-- `ALTER ROLE shopops_app PASSWORD '...'` and use it in DATABASE_URL (see README).
DO $$ BEGIN
    CREATE ROLE shopops_app LOGIN;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE OR REPLACE FUNCTION shopops_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the event log is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

DROP TRIGGER IF EXISTS shopops_events_append_only ON shopops_events;
CREATE TRIGGER shopops_events_append_only BEFORE UPDATE OR DELETE ON shopops_events
    FOR EACH ROW EXECUTE FUNCTION shopops_refuse_change();
DROP TRIGGER IF EXISTS shopops_events_no_truncate ON shopops_events;
CREATE TRIGGER shopops_events_no_truncate BEFORE TRUNCATE ON shopops_events
    FOR EACH STATEMENT EXECUTE FUNCTION shopops_refuse_change();
DROP TRIGGER IF EXISTS audit_chain_append_only ON audit_chain;
CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION shopops_refuse_change();

DO $$ BEGIN
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO shopops_app', current_database());
END $$;
GRANT USAGE ON SCHEMA public TO shopops_app;
GRANT SELECT, INSERT, UPDATE ON shopops_events TO shopops_app;
GRANT SELECT, INSERT ON audit_chain, audit_checkpoints TO shopops_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO shopops_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    order_summary, order_summary_lines, stock_levels, stock_transfers, ticket_queue, ticket_agents,
    product_catalog, warehouse_list, customer_profile, api_users, idempotency_keys, jobs,
    order_summary_tracking, stock_levels_tracking, ticket_queue_tracking, product_catalog_tracking,
    warehouse_list_tracking, customer_profile_tracking, relay_tracking
    TO shopops_app;
