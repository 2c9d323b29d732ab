"""Ticket triage: classify and prioritise new tickets, assign them, give waiting tickets to agents who come
online or free up, escalate SLA breaches, and retrain the classifier. Every decision is recorded on the ticket
with its inputs (for the category: the model or the rules, and their version and confidence)."""

from __future__ import annotations

import logging
import os
import threading
from decimal import Decimal
from typing import Any
from uuid import UUID

from application.reactions import JobSpec
from domain.base import Actor
from domain.triage import classify
from infrastructure.jobs.ledger import Job
from infrastructure.readmodels.base import Pool
from infrastructure.readmodels.ticket_queue import (
    agent_codes,
    breached_tickets,
    recent_ticket_count,
    waiting_tickets,
)
from workers.runtime import Runtime, get_runtime
from workers.ticket_models import registry

log = logging.getLogger("shopops.worker")

TRIAGE = Actor(id="tickets", role="worker", kind="worker")


def triage_ticket(runtime: Runtime, job: Job) -> dict[str, Any]:
    app = runtime.container.app
    runtime.wait_for_projection("ticket_queue", job.cause_position)
    ticket = app.ticket(UUID(job.payload["ticket_id"]))
    order = app.order(UUID(ticket.order_id)) if ticket.order_id else None
    rules = runtime.container.settings.triage_rules()
    by_rules = classify(
        ticket.subject,
        ticket.body,
        order_total=Decimal(order.total) if order else None,
        order_status=order.status if order else None,
        recent_tickets=recent_ticket_count(runtime.pool, ticket.customer_id, str(ticket.id)),
        rules=rules,
    )
    decision = registry(runtime, rules).classify(ticket.subject, ticket.body, by_rules)
    app.classify_ticket(ticket.id, decision, job.meta(TRIAGE))
    assigned = app.auto_assign_ticket(ticket.id, agent_codes(runtime.pool), job.meta(TRIAGE)).aggregate.assignee
    return {
        "category": decision.category,
        "priority": decision.priority,
        "assignee": assigned,
        "model": decision.model,
        "version": decision.version,
    }


def retrain_ticket_model(runtime: Runtime, job: Job) -> dict[str, Any]:
    """Learn from the agents' confirmed and corrected categories; this process switches to the new version at
    once, every other worker process on its next ticket."""
    models = registry(runtime, runtime.container.settings.triage_rules())
    result = models.retrain(job.id)
    models.current()
    return result


def assign_waiting(runtime: Runtime, job: Job) -> dict[str, Any]:
    """An agent came online or freed up: offer them the waiting queue, most urgent and oldest first."""
    app = runtime.container.app
    runtime.wait_for_projection("ticket_queue", job.cause_position)
    codes = agent_codes(runtime.pool)
    assigned = []
    for tid in waiting_tickets(runtime.pool):
        if app.auto_assign_ticket(UUID(tid), codes, job.meta(TRIAGE)).aggregate.assignee:
            assigned.append(tid)
    return {"assigned": assigned}


def escalate(runtime: Runtime, job: Job) -> dict[str, Any]:
    app = runtime.container.app
    ticket = app.escalate_ticket(UUID(job.payload["ticket_id"]), agent_codes(runtime.pool), job.meta(TRIAGE)).aggregate
    return {"priority": ticket.priority, "assignee": ticket.assignee, "escalations": ticket.escalations}


def sla_breach_jobs(pool: Pool) -> list[JobSpec]:
    """Periodic check: one escalation job per ticket and breach (the ledger's key makes it happen once)."""
    return [
        JobSpec("escalate", f"{tid}:{breach}", {"ticket_id": tid, "breach": breach})
        for tid, breach in breached_tickets(pool)
    ]


def warm_classifier() -> None:
    """Train the current ticket model at worker start (a fresh install: from the shipped labelled set)."""
    try:  # a background chore: the triage, dispatch and SLA jobs of a starting worker come first
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        runtime = get_runtime()
        registry(runtime, runtime.container.settings.triage_rules()).current()
    except Exception:  # the first triage job trains it instead, and records any failure against the job
        log.exception("could not train the ticket classifier at start")
