"""Outbound channel integration (D11): signed HTTP pushes of stock and fulfilment, an outbox over the job ledger."""
