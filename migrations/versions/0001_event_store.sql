-- The eventsourcing 9.5 PostgreSQL recorder schema for the `shopops` application (runtime uses CREATE_TABLE=false).
-- Must match eventsourcing.postgres.PostgresApplicationRecorder with originator_id_type=uuid.
CREATE TABLE IF NOT EXISTS shopops_events (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version)
) WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
);
CREATE UNIQUE INDEX IF NOT EXISTS shopops_events_notification_id_idx ON shopops_events (notification_id ASC);
DO $$ BEGIN
    CREATE TYPE stored_event_uuid AS (originator_id uuid, originator_version bigint, topic text, state bytea);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
