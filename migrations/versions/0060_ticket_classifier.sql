-- Ticket classifier and reply drafts: the ticket's language and the agent's confirmed category in the ticket
-- queue, the shipments of each order (facts for reply drafts), and the classifier's trained versions.
ALTER TABLE ticket_queue ADD COLUMN IF NOT EXISTS language text;
ALTER TABLE ticket_queue ADD COLUMN IF NOT EXISTS labelled_at timestamptz;
CREATE INDEX IF NOT EXISTS ticket_queue_labelled_idx ON ticket_queue (labelled_at) WHERE labelled_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS order_shipments_tracking (application_name text PRIMARY KEY, notification_id bigint);
INSERT INTO order_shipments_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS order_shipments (
    order_id uuid NOT NULL,
    version integer NOT NULL,
    warehouse text NOT NULL,
    carrier text NOT NULL,
    tracking_number text NOT NULL,
    shipped_at timestamptz NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (order_id, version)
);

-- One row per retraining: the agents' labels it learned from (ticket ids and categories; the texts stay in
-- the event log), its cross-validated accuracy against the rules' on the same tickets, and whether it decides.
CREATE TABLE IF NOT EXISTS ticket_classifier_models (
    version bigserial PRIMARY KEY,
    trained_at timestamptz NOT NULL DEFAULT now(),
    digest text NOT NULL,
    labels jsonb NOT NULL,
    examples integer NOT NULL,
    cv_accuracy double precision NOT NULL,
    rules_accuracy double precision NOT NULL,
    active boolean NOT NULL,
    job_id bigint
);
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopops_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON order_shipments, order_shipments_tracking, ticket_classifier_models
            TO shopops_app;
        GRANT USAGE, SELECT ON SEQUENCE ticket_classifier_models_version_seq TO shopops_app;
    END IF;
END $$;
