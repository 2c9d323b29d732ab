"""Application layer: the eventsourcing Application that runs commands, with retries and idempotent creation."""
