"""Numbered SQL migrations applied by `shopops migrate` (yoyo-migrations); reviewed like code."""
