"""Which events need background work: the relay turns each event into zero or more job specs.

Reactions are named `when_<event>_<reaction>`; a job spec names the work (`kind`), a dedupe `key` and the
payload the actor needs. Work is idempotent in effect, so a job delivered twice changes nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from domain.alert import Alert
from domain.channel import Channel
from domain.order import Order
from domain.settlement import Settlement
from domain.stock import Stock
from domain.ticket import Agent, Ticket


@dataclass(frozen=True)
class JobSpec:
    kind: str
    key: str
    payload: dict[str, Any] = field(default_factory=dict)


def when_order_placed_dispatch(event: Any) -> list[JobSpec]:
    """Placed (or paid, for channels that require payment first): route and allocate it."""
    order_id = str(event.originator_id)
    return [JobSpec("dispatch", order_id, {"order_id": order_id})]


def when_stock_arrives_fill_backorders(event: Any) -> list[JobSpec]:
    """Stock that becomes available (receipt, transfer in, restock, release, count up) may fill backorders."""
    if isinstance(event, Stock.Adjusted) and event.delta <= 0:
        return []
    key = str(event.originator_id)
    return [JobSpec("fill_backorders", key, {"stock_id": key})]


def when_stock_falls_evaluate_reorder(event: Any) -> list[JobSpec]:
    """Stock committed or removed (or its policy changed): it may have fallen below its reorder point."""
    if isinstance(event, Stock.Adjusted) and event.delta > 0:
        return []
    key = str(event.originator_id)
    return [JobSpec("reorder", key, {"stock_id": key})]


def when_ticket_opened_triage(event: Any) -> list[JobSpec]:
    ticket_id = str(event.originator_id)
    return [JobSpec("triage", ticket_id, {"ticket_id": ticket_id})]


def when_agent_available_assign_waiting(event: Any) -> list[JobSpec]:
    """An agent registered, came online, gained capacity or finished a ticket: waiting tickets may fit."""
    if isinstance(event, Agent.Updated | Agent.Created) and not event.online:
        return []
    return [JobSpec("assign_waiting", str(event.originator_id))]


def when_alert_changes_notify(event: Any) -> list[JobSpec]:
    """Push the alert's change to the subscribed webhooks (insight): one fan-out job per change."""
    alert_id = str(event.originator_id)
    key = f"{alert_id}:{event.originator_version}"
    return [JobSpec("alert_notify", key, {"alert_id": alert_id, "version": event.originator_version})]


def when_settlement_imported_reconcile(event: Any) -> list[JobSpec]:
    """Money: a payout the importing request could not reconcile (crash, timeout) is reconciled by a worker."""
    settlement_id = str(event.originator_id)
    return [JobSpec("reconcile", settlement_id, {"settlement_id": settlement_id})]


Reaction = Callable[[Any], list[JobSpec]]
FILL, REORDER, ASSIGN = (
    when_stock_arrives_fill_backorders,
    when_stock_falls_evaluate_reorder,
    when_agent_available_assign_waiting,
)

REACTIONS: dict[type, tuple[Reaction, ...]] = {
    Order.Created: (when_order_placed_dispatch,),
    Order.PaymentRecorded: (when_order_placed_dispatch,),  # a payment-first channel's order may now go
    Stock.Received: (FILL,),
    Stock.TransferReceived: (FILL,),
    Stock.Restocked: (FILL,),
    Stock.Released: (FILL,),
    Stock.Adjusted: (FILL, REORDER),
    Stock.Reserved: (REORDER,),
    Stock.Shipped: (REORDER,),
    Stock.TransferDispatched: (REORDER,),
    Stock.PolicySet: (REORDER,),
    Stock.ReplenishmentClosed: (REORDER,),
    Ticket.Created: (when_ticket_opened_triage,),
    Agent.Created: (ASSIGN,),
    Agent.Updated: (ASSIGN,),
    Agent.TicketReleased: (ASSIGN,),
    Alert.Raised: (when_alert_changes_notify,),  # insight
    Alert.Acknowledged: (when_alert_changes_notify,),
    Alert.Resolved: (when_alert_changes_notify,),
    Settlement.Created: (when_settlement_imported_reconcile,),  # money
}


# ---- channels both ways (issue 11): a channel's new settings are pushed at once; stock changes are pushed by
# the relay's periodic `channel_push_jobs` (one job per channel and new state: coalesced, few jobs); a shipment
# is pushed as fulfilment.
def when_channel_changes_push_stock(event: Any) -> list[JobSpec]:
    return [JobSpec("channel_push", str(event.originator_id), {"settings": True})]


def when_order_ships_push_fulfilment(event: Any) -> list[JobSpec]:
    oid = str(event.originator_id)
    payload = {
        "order_id": oid,
        "shipment_version": event.originator_version,
        "carrier": event.carrier,
        "tracking_number": event.tracking_number,
        "lines": event.lines,
    }
    return [JobSpec("fulfilment_push", f"{oid}:{event.originator_version}", payload)]


REACTIONS[Channel.Created] = (when_channel_changes_push_stock,)
REACTIONS[Channel.Updated] = (when_channel_changes_push_stock,)
REACTIONS[Order.Shipped] = (*REACTIONS.get(Order.Shipped, ()), when_order_ships_push_fulfilment)


COALESCING_KINDS = frozenset({"reorder", "fill_backorders", "assign_waiting"})
"""Jobs that evaluate the state as it is when they run, not the event that caused them: while one for the
same key is still waiting (not started), a newer cause moves that job's cause position forward instead of
adding a job. At 150 orders/s on a few SKUs this turns one reorder check per reservation into one per SKU
and moment, and the waiting job still waits for the read models to reach the newest cause."""


def jobs_for(event: Any) -> list[JobSpec]:
    return [spec for reaction in REACTIONS.get(type(event), ()) for spec in reaction(event)]
