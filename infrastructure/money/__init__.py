"""Money infrastructure: the reconciliation source over the read models, runs, settings and CSV import."""
