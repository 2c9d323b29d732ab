"""`shopops up`: everything on one machine in one command — embedded PostgreSQL when DATABASE_URL is
unset (D8), migrations, optional demo data, then the supervised process group."""

from __future__ import annotations

import logging
import secrets

import click

from cli.supervisor import Supervisor
from infrastructure.bootstrap import bootstrap
from infrastructure.eventstore.migrate import migrate
from infrastructure.settings import Settings, child_environment, connection_plan

log = logging.getLogger("shopops.up")


def launch(settings: Settings, host: str, port: int, demo: bool) -> int:
    server = None
    env = child_environment()
    if not settings.database_url:
        from infrastructure.eventstore.embedded import start_embedded

        click.echo(f"DATABASE_URL not set: starting the embedded PostgreSQL in {settings.shopops_data_dir}/pg ...")
        server, url = start_embedded(settings.shopops_data_dir)
        env["DATABASE_URL"] = url
        settings = settings.model_copy(update={"database_url": url})
    applied = migrate(settings.require_database_url())
    click.echo(f"schema: {'applied ' + ', '.join(applied) if applied else 'up to date'}")
    if demo:
        _load_demo(settings, host, port)
    apis = settings.shopops_api_processes
    plan = connection_plan(settings.shopops_db_connections, apis, separate_jobs=bool(settings.redis_url))
    supervisor = Supervisor(env)
    supervisor.add("api", "api", "--host", host, "--port", str(port), "--workers", str(apis), env=plan["api"])
    supervisor.add("projections", "cli", "projections", env=plan["projections"])
    if settings.redis_url:
        supervisor.add("relay", "workers", "relay", env=plan["relay"])
        supervisor.add("worker", "workers", "worker", env=plan["worker"])
    else:
        click.echo("REDIS_URL not set: relay and worker share one process with an in-process broker")
        supervisor.add("jobs", "workers", "inprocess", env=plan["jobs"])
    supervisor.add("audit-chain", "cli", "audit", "chain", env=plan["audit-chain"])
    click.echo(f"PostgreSQL connections: at most {settings.shopops_db_connections} ({apis} API process(es))")
    click.echo(f"shopops is up: http://{host}:{port}/api/v1 (docs: http://{host}:{port}/schema) — Ctrl-C stops it")
    try:
        return supervisor.run()
    finally:
        if server is not None:
            server.cleanup()


def _load_demo(settings: Settings, host: str, port: int) -> None:
    from cli.demo import load_demo
    from infrastructure.identity.users import add_user

    container = bootstrap(settings)
    try:
        loaded = load_demo(container.app)
    finally:
        container.close()
    click.echo("demo data loaded" if loaded else "demo data already present")
    password = secrets.token_urlsafe(12)
    add_user(settings.require_database_url(), "demo", password, ["admin"], [])
    base = f"http://{host}:{port}"
    click.echo(
        f"\nlogin: username demo, password {password}\n"
        f"  curl -s -X POST {base}/api/v1/auth/token -H 'content-type: application/json' "
        f'-d \'{{"username": "demo", "password": "{password}"}}\'\n'
    )
