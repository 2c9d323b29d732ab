"""The `shopops` command line (click): the operating contract of http-api.md "Operating it".

A process edge beside `api/` and `workers/`: it never imports them. `shopops api` and `shopops worker|relay`
replace this process with the other edges' own programs (`python -m api`, `python -m workers`); every
command gets its pools and applications from `infrastructure.bootstrap`.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

import click

from infrastructure.settings import Settings, get_settings

ROLES = ("admin", "ops", "warehouse", "support", "finance", "auditor", "integration")


def _settings() -> Settings:
    settings = get_settings()
    if not settings.database_url:
        raise click.ClickException("DATABASE_URL is not set (use `shopops up` for the embedded PostgreSQL)")
    return settings


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def main(verbose: bool) -> None:
    """shopops: orders, stock and customer-service tickets on one event-sourced backend."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


@main.command()
def migrate() -> None:
    """Bring the database at DATABASE_URL to the latest schema (safe to run again)."""
    from infrastructure.eventstore.migrate import migrate as run_migrations

    applied = run_migrations(_settings().require_database_url())
    click.echo(f"applied: {', '.join(applied)}" if applied else "schema is up to date")


@main.group()
def user() -> None:
    """API users."""


@user.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@click.option("--warehouse", "warehouses", multiple=True, help="Warehouse codes a warehouse user may act on.")
def user_add(name: str, roles: tuple[str, ...], warehouses: tuple[str, ...]) -> None:
    """Create or update a user; the password is read from standard input (one line)."""
    from infrastructure.identity.users import add_user

    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException("no password on standard input")
    try:
        add_user(_settings().require_database_url(), name, password, list(roles), list(warehouses))
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"user {name}: roles {', '.join(roles)}" + (f"; warehouses {', '.join(warehouses)}" if warehouses else "")
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="API processes.")
def api(host: str, port: int, workers: int) -> None:
    """Run the HTTP API alone (any number of these may run)."""
    _exec_module("api", "--host", host, "--port", str(port), "--workers", str(workers))


class _RunOrSubcommand(click.Group):
    """A group that also runs alone with positional NAMEs: `projections [NAME...]` besides `projections rebuild`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            ctx.meta["names"], args = list(args), []
        return super().parse_args(ctx, args)


@main.group(cls=_RunOrSubcommand, invoke_without_command=True, subcommand_metavar="[NAME]... | rebuild [NAME]")
@click.pass_context
def projections(ctx: click.Context) -> None:
    """Run the projection runners (all, or the NAMEs given) until SIGINT/SIGTERM; `rebuild` rebuilds read models."""
    if ctx.invoked_subcommand is not None:
        return
    from infrastructure.readmodels.registry import PROJECTIONS
    from infrastructure.readmodels.runner import run_projections

    names: list[str] = ctx.meta.get("names", [])
    unknown = sorted(set(names) - PROJECTIONS.keys())
    if unknown:
        raise click.UsageError(f"unknown projection(s) {', '.join(unknown)}; known: {', '.join(sorted(PROJECTIONS))}")
    logging.getLogger().setLevel(logging.INFO)
    run_projections(_settings(), names or None, _stop_on_signals())


@projections.command("rebuild")
@click.argument("name", required=False)
def projections_rebuild(name: str | None) -> None:
    """Rebuild one read model (or all) from zero, with progress; stop its runner first."""
    from infrastructure.readmodels.runner import rebuild

    def progress(projection: str, done: int, total: int) -> None:
        click.echo(f"\r{projection}: {done}/{total} events", err=True, nl=False)

    started = time.monotonic()
    result = rebuild(_settings(), name, progress)
    click.echo("", err=True)
    seconds = time.monotonic() - started
    click.echo(json.dumps({"rebuilt": result, "seconds": round(seconds, 2)}))


@main.command()
def relay() -> None:
    """Follow the event log into the job ledger and send the jobs (needs REDIS_URL)."""
    _exec_module("workers", "relay")


@main.command()
def worker() -> None:
    """Run the Dramatiq actors on the jobs queue (REDIS_URL)."""
    _exec_module("workers", "worker")


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _exec_module(module: str, *args: str) -> None:
    _settings()
    os.execv(sys.executable, [sys.executable, "-m", module, *args])  # noqa: S606 - our own interpreter and module


@main.group()
def jobs() -> None:
    """The job ledger: list jobs, retry parked ones."""


def _ledger() -> Any:
    from psycopg_pool import ConnectionPool

    from infrastructure.jobs.ledger import JobLedger

    pool: ConnectionPool[Any] = ConnectionPool(_settings().require_database_url(), min_size=1, max_size=2)
    return JobLedger(pool)


@jobs.command("list")
@click.option("--status", type=click.Choice(["pending", "running", "done", "parked"]))
@click.option("--limit", default=50, show_default=True)
def jobs_list(status: str | None, limit: int) -> None:
    """Jobs as JSON lines, newest first."""
    for job in _ledger().list_jobs(status, limit):
        click.echo(json.dumps(job, default=str))


@jobs.command("retry")
@click.argument("ids", nargs=-1, type=int)
def jobs_retry(ids: tuple[int, ...]) -> None:
    """Give parked jobs (all, or the IDs given) a fresh set of attempts; the relay's sweeper sends them."""
    retried = _ledger().retry_parked(list(ids) or None)
    click.echo(f"retried {len(retried)} job(s): {retried}")


@main.group()
def audit() -> None:
    """Compliance: tamper evidence over the event log."""


def _chain() -> Any:
    from psycopg_pool import ConnectionPool

    from infrastructure.audit.chain import AuditChain, SigningKey

    settings = _settings()
    key = SigningKey.load(settings.shopops_audit_key) if settings.shopops_audit_key else None
    pool: ConnectionPool[Any] = ConnectionPool(settings.require_database_url(), min_size=1, max_size=2)
    return AuditChain(pool, key, settings.shopops_audit_checkpoint_every)


@audit.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain and check the signed checkpoints; exit 1 if tampering is found."""
    result = _chain().verify(lambda n: click.echo(f"\rchecked {n}", err=True, nl=False))
    click.echo(json.dumps(result))
    if not result["ok"]:
        sys.exit(1)


@audit.command("export")
@click.option("--from", "start", type=click.DateTime(), help="recorded at or after (UTC)")
@click.option("--to", "end", type=click.DateTime(), help="recorded before (UTC)")
@click.option("--out", type=click.Path(dir_okay=False), default="-", show_default=True, help="file, or - for stdout")
def audit_export(start: datetime | None, end: datetime | None, out: str) -> None:
    """Every event (who, when, why, data) as NDJSON, streamed in log order, with progress on stderr."""
    from infrastructure.audit.export import export_to
    from infrastructure.bootstrap import bootstrap

    settings = _settings()
    container = bootstrap(settings)
    window = [d.replace(tzinfo=UTC) if d and d.tzinfo is None else d for d in (start, end)]
    try:
        with click.open_file(out, "w", encoding="utf-8") as handle:
            written = export_to(
                container.app,
                settings.require_database_url(),
                handle,
                window[0],
                window[1],
                lambda n: click.echo(f"\rread {n} events", err=True, nl=False),
            )
    finally:
        container.close()
    click.echo(f"\nexported {written} events", err=True)


@audit.command("chain")
@click.option("--once", is_flag=True, help="Chain what is there, then exit.")
def audit_chain(once: bool) -> None:
    """Extend the hash chain as events arrive (a tracked process; `shopops up` runs it)."""
    chain = _chain()
    stop = threading.Event()
    while not stop.is_set():
        if not chain.extend() and once:
            break
        if not once:
            stop.wait(1.0)


@audit.command("keygen")
def audit_keygen() -> None:
    """Print a new Ed25519 private key (PEM) for SHOPOPS_AUDIT_KEY; keep it out of the database."""
    from infrastructure.audit.chain import SigningKey

    click.echo(SigningKey.generate_pem())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Load demo data and print a login.")
def up(host: str, port: int, demo: bool) -> None:
    """Migrate, then run API + projections + relay + worker + audit chain as one supervised group.

    Without DATABASE_URL the embedded PostgreSQL starts (data in SHOPOPS_DATA_DIR, default ./var);
    without REDIS_URL the relay and worker share one process with an in-process broker."""
    from cli.up import launch

    sys.exit(launch(get_settings(), host, port, demo))


def _pool() -> Any:
    from psycopg_pool import ConnectionPool

    return ConnectionPool(_settings().require_database_url(), min_size=1, max_size=2)


@main.group()
def sales() -> None:
    """Sales history, the forecasts' input."""


@sales.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--by", "imported_by", default="cli", show_default=True, help="Who imports (recorded).")
def sales_import(file: Any, imported_by: str) -> None:
    """Import daily sales from an ERP CSV for a cold start: columns date,sku,units and optionally
    warehouse,channel,revenue|unit_price,promo. A day imported again replaces the earlier import."""
    from infrastructure.forecasting.store import SalesImportError, import_sales

    with _pool() as pool:
        try:
            result = import_sales(pool, file.read(), getattr(file, "name", "-"), imported_by)
        except SalesImportError as error:
            raise click.ClickException(str(error)) from None
    click.echo(
        f"import {result.import_id}: {result.rows} rows, {result.skus} SKUs, {result.first_day} .. {result.last_day}"
    )


@click.command("refresh")
@click.option("--sku", "skus", multiple=True, help="Only these SKUs (default: the whole catalogue).")
@click.option("--wait", is_flag=True, help="Wait until every batch is done.")
@click.option("--timeout", default=3600.0, show_default=True, help="Seconds to wait at most.")
def forecast_refresh(skus: tuple[str, ...], wait: bool, timeout: float) -> None:
    """Ask the workers to refresh forecasts now (the same as POST /api/v1/forecasts/refresh)."""
    import time

    from infrastructure.forecasting.store import refresh_status, request_refresh

    with _pool() as pool:
        job_id = request_refresh(pool, list(skus) or None, "cli")
        click.echo(f"refresh job {job_id} requested")
        deadline = time.monotonic() + timeout
        while wait:
            status = refresh_status(pool, job_id)
            click.echo(f"  {status}", err=True)
            if status["finished"] or status["failed"]:
                if status["failed"]:
                    raise click.ClickException(f"refresh {job_id} failed: {status}")
                break
            if time.monotonic() > deadline:
                raise click.ClickException(f"refresh {job_id} not finished after {timeout:.0f} s")
            time.sleep(2.0)


def _register_forecast() -> None:
    from cli.forecast import forecast

    forecast.add_command(forecast_refresh)
    main.add_command(forecast)


_register_forecast()


def _register_settlements() -> None:
    from cli.settlements import settlements  # money

    main.add_command(settlements)


_register_settlements()


if __name__ == "__main__":
    main()
