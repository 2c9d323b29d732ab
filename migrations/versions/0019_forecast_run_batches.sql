-- Finished batches of a forecast refresh, one row each: counting a batch is idempotent (a batch job that is
-- redelivered after it finished, e.g. its worker died before recording the job as done, counts once).
CREATE TABLE IF NOT EXISTS forecast_run_batches (
    run_id bigint NOT NULL,
    batch_job_id bigint PRIMARY KEY,
    series integer NOT NULL,
    done_at timestamptz NOT NULL DEFAULT now()
);
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopops_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON forecast_run_batches TO shopops_app;
    END IF;
END $$;
