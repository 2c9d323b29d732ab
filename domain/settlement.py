"""Settlement aggregates: a provider payout (once per (provider, payout_id)), its reconciliation (every match
with inputs and score), the claim that a payment or refund is covered (once per reference: nothing is matched
twice), and reconciliation exceptions that finance resolves with a note."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import InvalidTransitionError, Meta, ShopAggregate, ShopCreated, ShopEvent, stable_id

RESOLUTIONS = frozenset({"match", "write_off", "ignore"})


def settlement_id(provider: str, payout_id: str) -> UUID:
    return stable_id("settlement", provider, payout_id)


def claim_id(kind: str, reference: str) -> UUID:
    return stable_id("recon-claim", kind, reference)


def exception_id(kind: str, *key: str) -> UUID:
    return stable_id("recon-exception", kind, *key)


class Settlement(ShopAggregate):
    """A payout with its lines, as the provider reported it."""

    TOPIC = "shopops.settlement"

    class Created(ShopCreated):
        """A payout was imported."""

        TOPIC = "shopops.settlement.imported"
        provider: str
        payout_id: str
        payout_date: str
        payout_amount: str
        currency: str
        lines: list[dict[str, Any]]

    class Reconciled(ShopEvent):
        """The matching run: every match with its inputs, score and reasons; the exceptions it raised."""

        TOPIC = "shopops.settlement.reconciled"
        matches: list[dict[str, Any]]
        exceptions: list[str]
        rules: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            aggregate.reconciled = True

    def __init__(
        self,
        provider: str,
        payout_id: str,
        payout_date: str,
        payout_amount: str,
        currency: str,
        lines: list[dict[str, Any]],
    ) -> None:
        self.provider = provider
        self.payout_id = payout_id
        self.payout_date = payout_date
        self.payout_amount = payout_amount
        self.currency = currency
        self.lines = lines
        self.reconciled = False

    @classmethod
    def import_payout(cls, payout: dict[str, Any], meta: Meta) -> Settlement:
        return cls._create(
            cls.Created,
            id=settlement_id(payout["provider"], payout["payout_id"]),
            **payout,
            meta=meta.as_dict(),
        )

    def record_reconciliation(
        self, matches: list[dict[str, Any]], exceptions: list[str], rules: dict[str, Any], meta: Meta
    ) -> None:
        if self.reconciled:
            raise InvalidTransitionError("this payout is already reconciled")
        self.record(self.Reconciled, meta, matches=matches, exceptions=exceptions, rules=rules)


class Claim(ShopAggregate):
    """A recorded payment or refund is covered by a settlement (created once: never matched twice)."""

    TOPIC = "shopops.recon_claim"

    class Created(ShopCreated):
        TOPIC = "shopops.recon_claim.claimed"
        kind: str
        reference: str
        settlement_id: str | None
        line_nos: list[int]
        how: str

    def __init__(self, kind: str, reference: str, settlement_id: str | None, line_nos: list[int], how: str) -> None:
        self.kind = kind
        self.reference = reference
        self.settlement_id = settlement_id
        self.line_nos = line_nos
        self.how = how

    @classmethod
    def claim(
        cls, kind: str, reference: str, settlement: str | None, line_nos: list[int], how: str, meta: Meta
    ) -> Claim:
        return cls._create(
            cls.Created,
            id=claim_id(kind, reference),
            kind=kind,
            reference=reference,
            settlement_id=settlement,
            line_nos=line_nos,
            how=how,
            meta=meta.as_dict(),
        )


class ReconException(ShopAggregate):
    """Something reconciliation could not explain, open until finance resolves it."""

    TOPIC = "shopops.recon_exception"

    class Created(ShopCreated):
        TOPIC = "shopops.recon_exception.raised"
        kind: str
        settlement_id: str | None
        settlement_line: dict[str, Any] | None
        payment: dict[str, Any] | None
        difference: str
        candidates: list[dict[str, Any]]

    class Resolved(ShopEvent):
        TOPIC = "shopops.recon_exception.resolved"
        resolution: str
        match_to: str | None
        note: str
        actor: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "resolved"
            aggregate.resolution = self.resolution

    def __init__(
        self,
        kind: str,
        settlement_id: str | None,
        settlement_line: dict[str, Any] | None,
        payment: dict[str, Any] | None,
        difference: str,
        candidates: list[dict[str, Any]],
    ) -> None:
        self.kind = kind
        self.settlement_id = settlement_id
        self.settlement_line = settlement_line
        self.payment = payment
        self.difference = difference
        self.candidates = candidates
        self.status = "open"
        self.resolution: str | None = None

    @classmethod
    def raise_(cls, exception: UUID, fields: dict[str, Any], meta: Meta) -> ReconException:
        return cls._create(cls.Created, id=exception, **fields, meta=meta.as_dict())

    def resolve(self, resolution: str, match_to: str | None, note: str, meta: Meta) -> None:
        if self.status != "open":
            raise InvalidTransitionError("this exception is already resolved")
        if resolution not in RESOLUTIONS:
            raise InvalidTransitionError(f"resolution must be one of {sorted(RESOLUTIONS)}")
        self.record(
            self.Resolved, meta, resolution=resolution, match_to=match_to, note=note, actor=meta.actor.as_dict()
        )
