-- Time → version index for as-of reads (`/audit/streams/{id}/state?at=`): one row per event, kept by the
-- `audit_timeline` projection, so finding the version current at a time never scans a stream's history.
CREATE TABLE IF NOT EXISTS audit_timeline_tracking (application_name text PRIMARY KEY, notification_id bigint);
INSERT INTO audit_timeline_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS audit_timeline (
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    recorded_at timestamptz NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (stream_id, version)
);
CREATE INDEX IF NOT EXISTS audit_timeline_time_idx ON audit_timeline (stream_id, recorded_at);
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopops_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON audit_timeline, audit_timeline_tracking TO shopops_app;
    END IF;
END $$;
