"""Ports: what the application needs from infrastructure, as Protocols."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol


class PersonalDataVault(Protocol):
    """Seals a customer's contact fields with that customer's own key (crypto-shredding)."""

    def seal(self, customer: dict[str, Any]) -> dict[str, Any]:
        """`{id, name, email, phone, address}` → `{id, sealed}`; the id stays readable."""
        ...


@dataclass(frozen=True)
class ClearanceCandidate:
    """One SKU × warehouse with stock, as the clearance use case needs it."""

    sku: str
    warehouse: str
    category: str | None
    available: int
    sold_by_day: dict[date, int]
    forecast_daily_mean: float | None = None
    forecast_id: int | None = None
    forecast_model: str | None = None


class ClearanceQueries(Protocol):
    """Stock with units available and what sold recently, optionally narrowed to warehouses or a SKU."""

    async def clearance_candidates(
        self, window_days: int, warehouses: list[str] | None, warehouse: str | None, sku: str | None
    ) -> list[ClearanceCandidate]: ...


# ---- insight (issue 12) -----------------------------------------------------------------------------------


class AlertFacts(Protocol):
    """The read-model rows the alert rules decide on (see domain.alerts for each row's fields)."""

    def stock_levels(self) -> list[dict[str, Any]]: ...
    def order_hours(self) -> list[dict[str, Any]]: ...
    def ticket_breaches(self) -> list[dict[str, Any]]: ...
    def parked_jobs(self) -> list[dict[str, Any]]: ...
    def forecast_accuracy(self) -> list[dict[str, Any]]: ...
    def reconciliation_exceptions(self) -> list[dict[str, Any]]: ...
    def channel_lags(self) -> list[dict[str, Any]]: ...
    def open_alerts(self) -> list[tuple[str, str]]:
        """(kind, subject) of every alert the read model shows open or acknowledged."""
        ...


class KpiQueries(Protocol):
    """Computes the KPI figures of one period from the read models (SQL)."""

    async def figures(self, period: Any, filters: dict[str, Any]) -> dict[str, Any]: ...


class ReconciliationSource(Protocol):
    """Money: the recorded payments and refunds a settlement may cover (read models of the event log)."""

    def candidates(self, references: list[str], orders: list[str]) -> list[Any]:
        """`domain.reconciliation.Candidate`s with these references or of these orders' external ids."""
        ...

    def refund_ids(self, references: list[str]) -> dict[str, str]:
        """Refund reference → refund id, for refunds a settlement pays out."""
        ...

    def unclaimed_payments(self, before: Any) -> list[dict[str, Any]]:
        """Payments recorded before `before` that no settlement covers and no exception names yet."""
        ...
