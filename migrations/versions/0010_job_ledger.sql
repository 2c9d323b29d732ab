-- Job ledger (D5): the relay writes one row per event that needs work, in the same transaction as its
-- tracking; Dramatiq messages carry only the job id. Attempts are counted here, not in Redis.
CREATE TABLE IF NOT EXISTS relay_tracking (application_name text PRIMARY KEY, notification_id bigint);
INSERT INTO relay_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS jobs (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    key text NOT NULL,
    payload jsonb NOT NULL,
    cause_position bigint NOT NULL,
    correlation_id text,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'parked')),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 3,
    lease_until timestamptz,
    enqueued_at timestamptz,
    last_error text,
    result jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    done_at timestamptz,
    UNIQUE (kind, cause_position, key)
);
CREATE INDEX IF NOT EXISTS jobs_open_idx ON jobs (status, lease_until) WHERE status IN ('pending', 'running');
CREATE INDEX IF NOT EXISTS jobs_parked_idx ON jobs (id) WHERE status = 'parked';
