"""`shopops audit chain|verify|export|keygen`: tamper evidence and the NDJSON export for compliance."""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime

import click

from cli.context import container
from infrastructure.audit.chain import AuditChain, SigningKey
from infrastructure.audit.export import export_to
from infrastructure.bootstrap import Container


def _chain(c: Container) -> AuditChain:
    settings = c.settings
    key = SigningKey.load(settings.shopops_audit_key) if settings.shopops_audit_key else None
    return AuditChain(c.pool, key, settings.shopops_audit_checkpoint_every)


@click.group()
def audit() -> None:
    """Compliance: tamper evidence over the event log."""


@audit.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain and check the signed checkpoints; exit 1 if tampering is found."""
    with container() as c:
        result = _chain(c).verify(lambda n: click.echo(f"\rchecked {n}", err=True, nl=False))
    click.echo(json.dumps(result))
    if not result["ok"]:
        sys.exit(1)


@audit.command("export")
@click.option("--from", "start", type=click.DateTime(), help="recorded at or after (UTC)")
@click.option("--to", "end", type=click.DateTime(), help="recorded before (UTC)")
@click.option("--out", type=click.Path(dir_okay=False), default="-", show_default=True, help="file, or - for stdout")
def audit_export(start: datetime | None, end: datetime | None, out: str) -> None:
    """Every event (who, when, why, data) as NDJSON, streamed in log order, with progress on stderr."""
    window = [d.replace(tzinfo=UTC) if d and d.tzinfo is None else d for d in (start, end)]
    with container() as c, click.open_file(out, "w", encoding="utf-8") as handle:
        written = export_to(
            c.app, c.pool, handle, window[0], window[1], lambda n: click.echo(f"\rread {n} events", err=True, nl=False)
        )
    click.echo(f"\nexported {written} events", err=True)


@audit.command("chain")
@click.option("--once", is_flag=True, help="Chain what is there, then exit.")
def audit_chain(once: bool) -> None:
    """Extend the hash chain as events arrive (a tracked process; `shopops up` runs it)."""
    with container() as c:
        chain = _chain(c)
        stop = threading.Event()
        while not stop.is_set():
            if not chain.extend() and once:
                break
            if not once:
                stop.wait(1.0)


@audit.command("keygen")
def audit_keygen() -> None:
    """Print a new Ed25519 private key (PEM) for SHOPOPS_AUDIT_KEY; keep it out of the database."""
    click.echo(SigningKey.generate_pem())
