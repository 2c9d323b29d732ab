"""Ticket and Agent aggregates for customer service, and the SLA rule over priorities."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from domain.base import DomainError, InvalidTransitionError, Meta, ShopAggregate, ShopCreated, ShopEvent, stable_id

CATEGORIES = ("shipping", "refund", "return", "product", "payment", "complaint", "other")
PRIORITIES = ("low", "normal", "high", "urgent")

# (first response, resolution) per priority; a policy object the tickets worker may override.
# (first response, resolution) per priority, in seconds. The process sets its policy once at start-up from
# configuration (`configure_sla`); deadlines are derived, never stored in events, so a new policy applies
# to every open ticket and replaying history never fails.
DEFAULT_SLA_SECONDS: dict[str, tuple[float, float]] = {
    "low": (24 * 3600, 120 * 3600),
    "normal": (8 * 3600, 48 * 3600),
    "high": (2 * 3600, 24 * 3600),
    "urgent": (3600, 8 * 3600),
}
_sla_seconds = dict(DEFAULT_SLA_SECONDS)


def configure_sla(policy: dict[str, tuple[float, float]]) -> None:
    unknown = set(policy) - set(PRIORITIES)
    if unknown:
        raise DomainError(f"SLA policy names unknown priorities {sorted(unknown)}")
    _sla_seconds.update({k: (float(v[0]), float(v[1])) for k, v in policy.items()})


def sla_deadlines(opened_at: datetime, priority: str) -> tuple[datetime, datetime]:
    first, resolve = _sla_seconds[priority]
    return opened_at + timedelta(seconds=first), opened_at + timedelta(seconds=resolve)


def agent_id(code: str) -> UUID:
    return stable_id("agent", code)


class Ticket(ShopAggregate):
    """A customer-service case, written in Chinese or English."""

    TOPIC = "shopops.ticket"

    class Created(ShopCreated):
        """A ticket was opened."""

        TOPIC = "shopops.ticket.opened"
        customer_id: str
        order_id: str | None
        channel: str
        subject: str
        body: str

    class Replied(ShopEvent):
        TOPIC = "shopops.ticket.replied"
        author: str
        body: str

        def apply(self, aggregate: Any) -> None:
            if self.author == "agent":
                aggregate.first_response_at = aggregate.first_response_at or self.timestamp
                aggregate.waiting_since = aggregate.waiting_since or self.timestamp
                aggregate.status = "waiting_customer"
            else:
                aggregate.resume_clock(self.timestamp)
                aggregate.status = "assigned" if aggregate.assignee else "open"

    class Classified(ShopEvent):
        """The triage decision: category and priority, with the rule, its confidence and its inputs."""

        TOPIC = "shopops.ticket.classified"
        category: str
        priority: str
        confidence: float
        rule: str
        inputs: dict[str, Any]
        model: str = "rules"
        version: str = "builtin"
        class_version = 2  # v2 names the model ("rules" or a learned one) and its version

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Classifications recorded before v2 were made by the keyword rules."""
            state.setdefault("model", "rules")
            state.setdefault("version", "builtin")

        def apply(self, aggregate: Any) -> None:
            aggregate.category = self.category
            aggregate.priority = self.priority
            aggregate.classified = True
            aggregate.classification = {
                "category": self.category,
                "confidence": self.confidence,
                "model": self.model,
                "version": self.version,
            }

    class Recategorised(ShopEvent):
        """An agent confirmed or corrected the category (the actor is in `meta`); the classifier learns from it."""

        TOPIC = "shopops.ticket.recategorised"
        category: str
        previous: str

        def apply(self, aggregate: Any) -> None:
            aggregate.category = self.category
            aggregate.category_confirmed = True

    class Escalated(ShopEvent):
        """An SLA breach and what was done about it (priority raised, reassigned or flagged)."""

        TOPIC = "shopops.ticket.escalated"
        breach: str
        due: str
        from_priority: str
        to_priority: str
        action: str

        def apply(self, aggregate: Any) -> None:
            aggregate.priority = self.to_priority
            aggregate.escalations = [*aggregate.escalations, self.breach]

    class Assigned(ShopEvent):
        TOPIC = "shopops.ticket.assigned"
        agent_id: str
        manual: bool
        decision: dict[str, Any] | None

        def apply(self, aggregate: Any) -> None:
            aggregate.assignee = self.agent_id
            if aggregate.status == "open":
                aggregate.status = "assigned"

    class Resolved(ShopEvent):
        TOPIC = "shopops.ticket.resolved"
        note: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.resume_clock(self.timestamp)
            aggregate.resolved_at = self.timestamp
            aggregate.status = "resolved"

    class Reopened(ShopEvent):
        TOPIC = "shopops.ticket.reopened"
        note: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.resolved_at = None
            aggregate.status = "assigned" if aggregate.assignee else "open"

    class ActionTaken(ShopEvent):
        """Money, after-sales: an action (refund, return, reship) was started from this ticket."""

        TOPIC = "shopops.ticket.action_taken"
        action_id: str
        type: str

        def apply(self, aggregate: Any) -> None:
            aggregate.actions = [*aggregate.actions, self.action_id]

    def take_action(self, action_id: str, type_: str, meta: Meta) -> None:
        self.record(self.ActionTaken, meta, action_id=action_id, type=type_)

    def __init__(self, customer_id: str, order_id: str | None, channel: str, subject: str, body: str) -> None:
        self.customer_id = customer_id
        self.order_id = order_id
        self.channel = channel
        self.subject = subject
        self.body = body
        self.status = "open"
        self.assignee: str | None = None
        self.category = "other"
        self.priority = "normal"
        self.classified = False
        self.classification: dict[str, Any] | None = None
        self.category_confirmed = False
        self.first_response_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.waiting_since: datetime | None = None
        self.paused_seconds = 0.0
        self.escalations: list[str] = []
        self.actions: list[str] = []

    def resume_clock(self, at: datetime) -> None:
        """The SLA clock is paused while the ticket waits on the customer."""
        if self.waiting_since is not None:
            self.paused_seconds += (at - self.waiting_since).total_seconds()
            self.waiting_since = None

    def sla(self, now: datetime) -> dict[str, Any]:
        """Deadlines from the ticket's own events: first response from opening; resolution from opening plus
        the time spent waiting on the customer. A breach is a deadline passed with the step not done."""
        first_due, resolution_due = sla_deadlines(self.created_on, self.priority)
        paused = self.paused_seconds + ((now - self.waiting_since).total_seconds() if self.waiting_since else 0)
        resolution_due += timedelta(seconds=paused)
        breaches = []
        if self.first_response_at is None and now > first_due and self.status not in ("resolved", "closed"):
            breaches.append("first_response")
        if self.resolved_at is None and now > resolution_due and self.status != "waiting_customer":
            breaches.append("resolution")
        return {"first_response_due": first_due, "resolution_due": resolution_due, "breaches": breaches}

    @classmethod
    def open(
        cls, ticket_id: UUID, customer_id: str, order_id: str | None, channel: str, subject: str, body: str, meta: Meta
    ) -> Ticket:
        if not subject.strip() or not body.strip():
            raise DomainError("a ticket needs a subject and a body")
        return cls._create(
            cls.Created,
            id=ticket_id,
            customer_id=customer_id,
            order_id=order_id,
            channel=channel,
            subject=subject,
            body=body,
            meta=meta.as_dict(),
        )

    def reply(self, author: str, body: str, meta: Meta) -> None:
        if author not in ("agent", "customer"):
            raise DomainError("author must be 'agent' or 'customer'")
        if self.status in ("resolved", "closed"):
            raise InvalidTransitionError(f"a {self.status} ticket takes no replies; reopen it first")
        if not body.strip():
            raise DomainError("a reply needs a body")
        self.record(self.Replied, meta, author=author, body=body)

    def assign(self, agent: str, meta: Meta, *, manual: bool, decision: dict[str, Any] | None = None) -> None:
        if self.status in ("resolved", "closed"):
            raise InvalidTransitionError(f"a {self.status} ticket cannot be assigned")
        if agent != self.assignee:
            self.record(self.Assigned, meta, agent_id=agent, manual=manual, decision=decision)

    def classify(
        self,
        category: str,
        priority: str,
        confidence: float,
        rule: str,
        inputs: dict[str, Any],
        meta: Meta,
        model: str = "rules",
        version: str = "builtin",
    ) -> None:
        if category not in CATEGORIES or priority not in PRIORITIES:
            raise DomainError(f"unknown category {category!r} or priority {priority!r}")
        self.record(
            self.Classified,
            meta,
            category=category,
            priority=priority,
            confidence=confidence,
            rule=rule,
            inputs=inputs,
            model=model,
            version=version,
        )

    def recategorise(self, category: str, meta: Meta) -> None:
        """An agent's word on the category: a correction or a confirmation, both recorded (both are labels)."""
        if category not in CATEGORIES:
            raise DomainError(f"unknown category {category!r}; categories are {list(CATEGORIES)}")
        self.record(self.Recategorised, meta, category=category, previous=self.category)

    def escalate(self, breach: str, due: datetime, to_priority: str, action: str, meta: Meta) -> bool:
        """Record a breach once per kind; returns False if it was already escalated."""
        if breach in self.escalations:
            return False
        self.record(
            self.Escalated,
            meta,
            breach=breach,
            due=due.isoformat(),
            from_priority=self.priority,
            to_priority=to_priority,
            action=action,
        )
        return True

    def resolve(self, note: str | None, meta: Meta) -> None:
        if self.status in ("resolved", "closed"):
            raise InvalidTransitionError(f"the ticket is already {self.status}")
        self.record(self.Resolved, meta, note=note)

    def reopen(self, note: str | None, meta: Meta) -> None:
        if self.status != "resolved":
            raise InvalidTransitionError(f"only a resolved ticket can be reopened (it is {self.status})")
        self.record(self.Reopened, meta, note=note)


class Agent(ShopAggregate):
    """A customer-service agent: skills (categories), capacity and presence."""

    TOPIC = "shopops.agent"

    class Created(ShopCreated):
        """An agent was registered."""

        TOPIC = "shopops.agent.registered"
        code: str
        name: str
        skills: list[str]
        capacity: int
        online: bool

    class Updated(ShopEvent):
        TOPIC = "shopops.agent.updated"
        name: str
        skills: list[str]
        capacity: int
        online: bool

        def apply(self, aggregate: Any) -> None:
            aggregate.name = self.name
            aggregate.skills = self.skills
            aggregate.capacity = self.capacity
            aggregate.online = self.online

    class TicketTaken(ShopEvent):
        TOPIC = "shopops.agent.ticket_taken"
        ticket_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.tickets = [*aggregate.tickets, self.ticket_id]
            aggregate.last_assigned_at = self.timestamp

    class TicketReleased(ShopEvent):
        TOPIC = "shopops.agent.ticket_released"
        ticket_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.tickets = [t for t in aggregate.tickets if t != self.ticket_id]

    def __init__(self, code: str, name: str, skills: list[str], capacity: int, online: bool) -> None:
        self.code = code
        self.name = name
        self.skills = skills
        self.capacity = capacity
        self.online = online
        self.tickets: list[str] = []
        self.last_assigned_at: datetime | None = None

    @property
    def load(self) -> int:
        return len(self.tickets)

    def take(self, ticket_id: str, meta: Meta) -> None:
        if ticket_id not in self.tickets:
            self.record(self.TicketTaken, meta, ticket_id=ticket_id)

    def release(self, ticket_id: str, meta: Meta) -> None:
        if ticket_id in self.tickets:
            self.record(self.TicketReleased, meta, ticket_id=ticket_id)

    @staticmethod
    def _check(skills: list[str], capacity: int) -> None:
        unknown = sorted(set(skills) - set(CATEGORIES))
        if unknown:
            raise DomainError(f"unknown skills {unknown}; categories are {list(CATEGORIES)}")
        if capacity < 0:
            raise DomainError("capacity must not be negative")

    @classmethod
    def register(cls, code: str, name: str, skills: list[str], capacity: int, online: bool, meta: Meta) -> Agent:
        cls._check(skills, capacity)
        return cls._create(
            cls.Created,
            id=agent_id(code),
            code=code,
            name=name,
            skills=sorted(set(skills)),
            capacity=capacity,
            online=online,
            meta=meta.as_dict(),
        )

    def update(self, name: str, skills: list[str], capacity: int, online: bool, meta: Meta) -> None:
        self._check(skills, capacity)
        new = (name, sorted(set(skills)), capacity, online)
        if new != (self.name, self.skills, self.capacity, self.online):
            self.record(self.Updated, meta, name=name, skills=new[1], capacity=capacity, online=online)
