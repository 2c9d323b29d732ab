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

import click

from infrastructure.identity.users import ROLES
from infrastructure.settings import Settings, get_settings


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
            split = next((i for i, a in enumerate(args) if a.startswith("-")), len(args))
            ctx.meta["names"], args = list(args[:split]), list(args[split:])
        return super().parse_args(ctx, args)


@main.group(cls=_RunOrSubcommand, invoke_without_command=True, subcommand_metavar="[NAME]... | rebuild [NAME]")
@click.option("--group", "group", default=None, help="Run one named group of read models (orders, stock, support).")
@click.option(
    "--connections", default=4, show_default=True, type=click.IntRange(min=3), help="PostgreSQL connections at most."
)
@click.pass_context
def projections(ctx: click.Context, group: str | None, connections: int) -> None:
    """Run the read models (all, the NAMEs given, or a --group) until SIGINT/SIGTERM; `rebuild` rebuilds them."""
    if ctx.invoked_subcommand is not None:
        return
    stop = _stop_on_signals()  # first: a Ctrl-C while starting up stops cleanly too
    from infrastructure.readmodels.runner import chosen, run_projections

    names: list[str] = ctx.meta.get("names", [])
    try:
        running = chosen(names, group)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    logging.getLogger().setLevel(logging.INFO)
    click.echo(f"projections: running {', '.join(running)} until SIGINT/SIGTERM", err=True)
    run_projections(_settings(), running, stop, connections=connections)


@projections.command("rebuild")
@click.argument("name", required=False)
def projections_rebuild(name: str | None) -> None:
    """Rebuild one read model (or all) from zero, with progress; stop its runner first."""
    from infrastructure.readmodels.runner import rebuild

    started = time.monotonic()
    shown = [-1]

    def progress(_projection: str, done: int, total: int) -> None:
        if done != shown[0]:  # one line per batch (every read model reports the same position)
            shown[0] = done
            rate = done / max(time.monotonic() - started, 1e-9)
            click.echo(
                f"\r{name or 'all read models'}: {done}/{total} events, {rate:,.0f} events/s", err=True, nl=False
            )

    result = rebuild(_settings(), name, progress)
    seconds = time.monotonic() - started
    rate = max(shown[0], 0) / max(seconds, 1e-9)
    click.echo(f"\nrebuilt {max(shown[0], 0)} events in {seconds:.2f} s: {rate:,.0f} events/s", err=True)
    click.echo(json.dumps({"rebuilt": result, "seconds": round(seconds, 2), "events_per_second": round(rate)}))


@main.command()
def relay() -> None:
    """Follow the event log into the job ledger and send the jobs (needs REDIS_URL)."""
    _exec_module("workers", "relay")


@main.command()
@click.option(
    "--queues",
    default="dispatch,tickets,reorder,alerts,outbound,money,forecasts",
    show_default=True,
    help="Comma-separated queues this worker consumes (one queue per kind of work).",
)
def worker(queues: str) -> None:
    """Run the Dramatiq actors (REDIS_URL); long work (forecasts, outbound pushes) has threads of its own."""
    _exec_module("workers", "worker", "--queues", queues)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _exec_module(module: str, *args: str) -> None:
    _settings()
    os.execv(sys.executable, [sys.executable, "-m", module, *args])  # noqa: S606 - our own interpreter and module


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


def _register() -> None:
    """The command groups that live in their own modules."""
    from cli.audit import audit
    from cli.forecast import forecast
    from cli.jobs import jobs
    from cli.sales import sales
    from cli.settlements import settlements
    from cli.simulate import simulate

    for group in (audit, forecast, jobs, sales, settlements, simulate):
        main.add_command(group)


_register()
