"""`shopops jobs list|retry`: the job ledger for operators (the same views as the API's /jobs)."""

from __future__ import annotations

import json

import click

from cli.context import container
from infrastructure.jobs.ledger import JobLedger


@click.group()
def jobs() -> None:
    """The job ledger: list jobs, retry parked ones."""


@jobs.command("list")
@click.option("--status", type=click.Choice(["pending", "running", "done", "parked"]))
@click.option("--limit", default=50, show_default=True)
def jobs_list(status: str | None, limit: int) -> None:
    """Jobs as JSON lines, newest first."""
    with container() as c:
        for job in JobLedger(c.pool).list_jobs(status, limit):
            click.echo(json.dumps(job, default=str))


@jobs.command("retry")
@click.argument("ids", nargs=-1, type=int)
def jobs_retry(ids: tuple[int, ...]) -> None:
    """Give parked jobs (all, or the IDs given) a fresh set of attempts; the relay's next sweep sends them."""
    with container() as c:
        retried = JobLedger(c.pool).retry_parked(list(ids) or None)
    click.echo(f"retried {len(retried)} job(s): {retried}")
