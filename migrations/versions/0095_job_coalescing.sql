-- Coalescing (application/reactions.py COALESCING_KINDS): the relay looks up a waiting job of the same kind
-- and key before adding one; this index keeps that lookup cheap however long the ledger grows.
CREATE INDEX IF NOT EXISTS jobs_pending_key_idx ON jobs (kind, key) WHERE status = 'pending';
