-- Money, part 4: settlements and reconciliation read models (projected from Settlement, Claim and
-- ReconException events, and from orders' recorded payments).
CREATE TABLE IF NOT EXISTS reconciliation_tracking (application_name text PRIMARY KEY, notification_id bigint);
INSERT INTO reconciliation_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS recon_payments (
    reference text PRIMARY KEY,
    order_id uuid NOT NULL,
    amount numeric(18, 2) NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS recon_payments_order_idx ON recon_payments (order_id);
CREATE INDEX IF NOT EXISTS recon_payments_recorded_idx ON recon_payments (recorded_at);
CREATE TABLE IF NOT EXISTS recon_claims (
    kind text NOT NULL,
    reference text NOT NULL,
    settlement_id uuid,
    PRIMARY KEY (kind, reference)
);
CREATE TABLE IF NOT EXISTS settlements (
    id uuid PRIMARY KEY,
    provider text NOT NULL,
    payout_id text NOT NULL,
    payout_date date NOT NULL,
    payout_amount numeric(18, 2) NOT NULL,
    currency text NOT NULL,
    fees numeric(18, 2) NOT NULL,
    line_count integer NOT NULL,
    reconciled boolean NOT NULL DEFAULT false,
    position bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS recon_matches (
    settlement_id uuid NOT NULL,
    match_no integer NOT NULL,
    kind text NOT NULL,
    amount numeric(18, 2) NOT NULL,
    score double precision NOT NULL,
    detail jsonb NOT NULL,
    PRIMARY KEY (settlement_id, match_no)
);
CREATE TABLE IF NOT EXISTS recon_exceptions (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    status text NOT NULL,
    settlement_id uuid,
    settlement_line jsonb,
    payment jsonb,
    difference numeric(18, 4) NOT NULL,
    candidates jsonb NOT NULL,
    resolution text,
    match_to text,
    note text,
    resolved_by jsonb,
    raised_at timestamptz NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS recon_exceptions_status_idx ON recon_exceptions (status, kind, raised_at, id);
CREATE INDEX IF NOT EXISTS recon_exceptions_payment_idx ON recon_exceptions ((payment->>'reference'));
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopops_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON recon_payments, recon_claims, settlements, recon_matches,
            recon_exceptions, reconciliation_tracking TO shopops_app;
    END IF;
END $$;
