-- Money, part 2: the refunds read model (projected from Refund events).
CREATE TABLE IF NOT EXISTS refunds_tracking (application_name text PRIMARY KEY, notification_id bigint);
INSERT INTO refunds_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS refunds (
    id uuid PRIMARY KEY,
    order_id uuid NOT NULL,
    amount numeric(18, 2) NOT NULL,
    currency text NOT NULL,
    status text NOT NULL,
    reason text NOT NULL,
    lines jsonb NOT NULL DEFAULT '[]',
    reference text NOT NULL,
    ticket_id uuid,
    return_id uuid,
    requested_by jsonb NOT NULL,
    decided_by jsonb,
    note text,
    payout jsonb,
    version integer NOT NULL,
    position bigint NOT NULL,
    requested_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_status_idx ON refunds (status, requested_at, id);
CREATE INDEX IF NOT EXISTS refunds_order_idx ON refunds (order_id, requested_at, id);
CREATE INDEX IF NOT EXISTS refunds_reference_idx ON refunds (reference);
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopops_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON refunds, refunds_tracking TO shopops_app;
    END IF;
END $$;
