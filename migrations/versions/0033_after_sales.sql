-- Money, part 5: after-sales actions from tickets (refund, return, reship), projected from AfterSalesAction
-- events and the decisions on their refunds.
CREATE TABLE IF NOT EXISTS after_sales_tracking (application_name text PRIMARY KEY, notification_id bigint);
INSERT INTO after_sales_tracking VALUES ('__migration__', 1) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS after_sales_actions (
    id uuid PRIMARY KEY,
    type text NOT NULL,
    status text NOT NULL,
    ticket_id uuid NOT NULL,
    order_id uuid NOT NULL,
    refund_id uuid,
    replacement_order_id uuid,
    lines jsonb NOT NULL DEFAULT '[]',
    amount numeric(18, 2),
    currency text NOT NULL,
    reason text NOT NULL,
    warehouse text,
    received jsonb NOT NULL DEFAULT '[]',
    written_off numeric(18, 2),
    requested_by jsonb NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS after_sales_ticket_idx ON after_sales_actions (ticket_id, created_at, id);
CREATE INDEX IF NOT EXISTS after_sales_order_idx ON after_sales_actions (order_id, created_at, id);
CREATE INDEX IF NOT EXISTS after_sales_refund_idx ON after_sales_actions (refund_id);
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopops_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON after_sales_actions, after_sales_tracking TO shopops_app;
    END IF;
END $$;
