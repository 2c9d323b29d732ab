"""Ticket and Agent aggregates for customer service, and the SLA rule over priorities."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from domain.base import DomainError, InvalidTransitionError, Meta, ShopAggregate, ShopCreated, ShopEvent, stable_id

CATEGORIES = ("shipping", "refund", "return", "product", "payment", "complaint", "other")
PRIORITIES = ("low", "normal", "high", "urgent")

# (first response, resolution) per priority; a policy object the tickets worker may override.
SLA_HOURS: dict[str, tuple[int, int]] = {"low": (24, 120), "normal": (8, 48), "high": (2, 24), "urgent": (1, 8)}


def sla_deadlines(opened_at: datetime, priority: str) -> tuple[datetime, datetime]:
    first, resolve = SLA_HOURS[priority]
    return opened_at + timedelta(hours=first), opened_at + timedelta(hours=resolve)


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
                aggregate.status = "waiting_customer"
            else:
                aggregate.status = "assigned" if aggregate.assignee else "open"

    class Assigned(ShopEvent):
        TOPIC = "shopops.ticket.assigned"
        agent_id: str
        manual: bool

        def apply(self, aggregate: Any) -> None:
            aggregate.assignee = self.agent_id
            if aggregate.status == "open":
                aggregate.status = "assigned"

    class Resolved(ShopEvent):
        TOPIC = "shopops.ticket.resolved"
        note: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "resolved"

    class Reopened(ShopEvent):
        TOPIC = "shopops.ticket.reopened"
        note: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "assigned" if aggregate.assignee else "open"

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

    def assign(self, agent: str, meta: Meta, *, manual: bool) -> None:
        if self.status in ("resolved", "closed"):
            raise InvalidTransitionError(f"a {self.status} ticket cannot be assigned")
        if agent != self.assignee:
            self.record(self.Assigned, meta, agent_id=agent, manual=manual)

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

    def __init__(self, code: str, name: str, skills: list[str], capacity: int, online: bool) -> None:
        self.code = code
        self.name = name
        self.skills = skills
        self.capacity = capacity
        self.online = online

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
