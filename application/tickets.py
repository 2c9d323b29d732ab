"""Ticket and agent commands: open, reply, assign (manual or automatic), resolve, reopen, classify, recategorise,
escalate.

An agent's load is part of its own stream, changed in the same `save()` as the ticket it takes or lets go,
so concurrent assignments can never push an agent past capacity unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from application.base import Result, ShopOpsBase
from domain.base import Meta, UnknownReferenceError
from domain.ticket import Agent, Ticket, agent_id
from domain.triage import AgentView, Classification, choose_agent, raise_priority


class TicketCommands(ShopOpsBase):
    """Ticket and agent commands (see the module docstring)."""

    def agent(self, code: str) -> Agent:
        return self._load(agent_id(code), Agent, f"agent {code}")

    def open_ticket(
        self, customer_id: str, order_ref: UUID | None, channel: str, subject: str, body: str, meta: Meta
    ) -> Result:
        if order_ref is not None:
            self.order(order_ref)
        ticket = Ticket.open(uuid4(), customer_id, str(order_ref) if order_ref else None, channel, subject, body, meta)
        return self._commit(ticket, primary=ticket, created=True)

    def _ticket_command(
        self, tid: UUID, if_match: int | None, change: Callable[[Ticket], Sequence[Aggregate]]
    ) -> Result:
        def attempt() -> Result:
            ticket = self.ticket(tid)
            self._check_version(ticket, if_match)
            others = change(ticket)
            return self._commit(ticket, *others, primary=ticket)

        result = self._retrying(attempt)
        return Result(result.aggregate, result.position or self.position())

    def _hand_over(self, ticket: Ticket, to: Agent | None, meta: Meta) -> list[Aggregate]:
        """The agents touched when a ticket changes hands: the previous one lets go, the new one takes it."""
        touched: list[Aggregate] = []
        previous = self._maybe(agent_id(ticket.assignee)) if ticket.assignee else None
        if isinstance(previous, Agent) and (to is None or previous.id != to.id):
            previous.release(str(ticket.id), meta)
            touched.append(previous)
        if to is not None:
            to.take(str(ticket.id), meta)
            touched.append(to)
        return touched

    def reply_ticket(self, tid: UUID, author: str, body: str, meta: Meta, if_match: int | None = None) -> Result:
        def change(ticket: Ticket) -> list[Aggregate]:
            ticket.reply(author, body, meta)
            return []

        return self._ticket_command(tid, if_match, change)

    def assign_ticket(self, tid: UUID, agent: str, meta: Meta, if_match: int | None = None) -> Result:
        """Manual assignment: an operator's override of the automatic one (capacity is not enforced)."""
        if self._maybe(agent_id(agent)) is None:
            raise UnknownReferenceError(f"unknown agent {agent}")

        def change(ticket: Ticket) -> list[Aggregate]:
            if ticket.assignee == agent:
                return []
            target = self.agent(agent)
            touched = self._hand_over(ticket, target, meta)
            ticket.assign(agent, meta, manual=True)
            return touched

        return self._ticket_command(tid, if_match, change)

    def resolve_ticket(self, tid: UUID, note: str | None, meta: Meta, if_match: int | None = None) -> Result:
        """Resolve; the assignee's capacity frees up in the same transaction."""

        def change(ticket: Ticket) -> list[Aggregate]:
            ticket.resolve(note, meta)
            agent = self._maybe(agent_id(ticket.assignee)) if ticket.assignee else None
            if isinstance(agent, Agent):
                agent.release(str(ticket.id), meta)
                return [agent]
            return []

        return self._ticket_command(tid, if_match, change)

    def reopen_ticket(self, tid: UUID, note: str | None, meta: Meta, if_match: int | None = None) -> Result:
        def change(ticket: Ticket) -> list[Aggregate]:
            ticket.reopen(note, meta)
            agent = self._maybe(agent_id(ticket.assignee)) if ticket.assignee else None
            if isinstance(agent, Agent):
                agent.take(str(ticket.id), meta)
                return [agent]
            return []

        return self._ticket_command(tid, if_match, change)

    def classify_ticket(self, tid: UUID, decision: Classification, meta: Meta) -> Result:
        """Record the triage decision once; a ticket already classified is left as it is."""

        def change(ticket: Ticket) -> list[Aggregate]:
            if ticket.classified:
                return []
            category, rule, inputs = decision.category, decision.rule, decision.inputs
            if ticket.category_confirmed:  # an agent got there first: their category stands, the priority is ours
                category, rule = ticket.category, f"{rule}+agent_category_kept"
                inputs = {**inputs, "proposed_category": decision.category}
            ticket.classify(
                category,
                decision.priority,
                decision.confidence,
                rule,
                inputs,
                meta,
                model=decision.model,
                version=decision.version,
            )
            return []

        return self._ticket_command(tid, None, change)

    def recategorise_ticket(self, tid: UUID, category: str, meta: Meta, if_match: int | None = None) -> Result:
        """An agent confirms or corrects the category. The ticket queue shows it at once, and the classifier's
        next retraining learns from it (confirmations count as much as corrections)."""

        def change(ticket: Ticket) -> list[Aggregate]:
            ticket.recategorise(category, meta)
            return []

        return self._ticket_command(tid, if_match, change)

    def auto_assign_ticket(self, tid: UUID, agent_codes: Sequence[str], meta: Meta) -> Result:
        """Give an unassigned open ticket to the best available agent (domain.triage.choose_agent); the
        decision records every candidate's load. Leaves the ticket waiting when nobody can take it."""

        def change(ticket: Ticket) -> list[Aggregate]:
            if ticket.assignee or ticket.status != "open" or not ticket.classified:
                return []  # only classified tickets are routed: the category decides who may take it
            agents = self._agents(agent_codes)
            chosen = choose_agent(ticket.category, [self._view(a) for a in agents.values()])
            if chosen is None:
                return []
            decision = {
                "rule": "online+skill+capacity>least_loaded>round_robin>code",
                "candidates": [self._view(a).__dict__ for a in agents.values()],
            }
            touched = self._hand_over(ticket, agents[chosen.code], meta)
            ticket.assign(chosen.code, meta, manual=False, decision=_jsonable(decision))
            return touched

        return self._ticket_command(tid, None, change)

    def escalate_ticket(self, tid: UUID, agent_codes: Sequence[str], meta: Meta, now: datetime | None = None) -> Result:
        """Escalate each SLA breach once: raise the priority and, when the assignee is offline or over
        capacity (or nobody has it), hand it to another available agent; otherwise flag it."""

        def change(ticket: Ticket) -> list[Aggregate]:
            sla = ticket.sla(now or datetime.now(UTC))
            touched: list[Aggregate] = []
            for breach in sla["breaches"]:
                if breach in ticket.escalations:
                    continue
                agents = self._agents(agent_codes)
                current = agents.get(ticket.assignee or "")
                stuck = current is None or not current.online or current.load > current.capacity
                views = [self._view(a) for a in agents.values()]
                other = choose_agent(ticket.category, views, exclude=[ticket.assignee or ""]) if stuck else None
                due = sla["first_response_due" if breach == "first_response" else "resolution_due"]
                ticket.escalate(breach, due, raise_priority(ticket.priority), "reassign" if other else "flag", meta)
                if other is not None:
                    touched += self._hand_over(ticket, agents[other.code], meta)
                    ticket.assign(other.code, meta, manual=False, decision={"rule": "sla_escalation", "breach": breach})
            return touched

        return self._ticket_command(tid, None, change)

    def _agents(self, codes: Sequence[str]) -> dict[str, Agent]:
        agents = (self._maybe(agent_id(code)) for code in codes)
        return {a.code: a for a in agents if isinstance(a, Agent)}

    @staticmethod
    def _view(agent: Agent) -> AgentView:
        last = agent.last_assigned_at.timestamp() if agent.last_assigned_at else 0
        return AgentView(agent.code, tuple(agent.skills), agent.capacity, agent.online, agent.load, int(last * 1e6))

    def put_agent(self, code: str, name: str, skills: list[str], capacity: int, online: bool, meta: Meta) -> Result:
        def attempt() -> Result:
            existing = self._maybe(agent_id(code))
            if existing is None:
                agent = Agent.register(code, name, skills, capacity, online, meta)
                return self._commit(agent, primary=agent, created=True)
            existing.update(name, skills, capacity, online, meta)
            return self._commit(existing, primary=existing)

        result = self._retrying(attempt)
        return Result(result.aggregate, result.position or self.position(), result.created)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
