"""Infrastructure: settings, PostgreSQL event store and read models, migrations, CLI and composition root."""
