"""Workers: Dramatiq actors and process entry points (relay, dispatch, reorder, tickets) — next issue."""
