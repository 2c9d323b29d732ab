"""Insight: KPIs, reports, alert facts, subscriptions and their signed pushes."""
