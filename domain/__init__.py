"""Domain layer: aggregates, events, value objects and pure decision rules (stdlib + eventsourcing only)."""
