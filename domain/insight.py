"""Insight rules: reporting periods, comparisons (previous period, same calendar days a year ago) and the
relative change of every figure. Pure functions; the KPI definitions themselves are data (`DEFINITIONS`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.base import DomainError

MAX_DAYS = 3_660
MIN_YEAR, MAX_YEAR = 1970, 2999
DEFINITIONS_VERSION = "1.1"


@dataclass(frozen=True)
class Period:
    """[start, end): business time, UTC. Inventory figures use the whole UTC days the period touches."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86_400

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def end_day(self) -> date:
        """The first day after the period (exclusive bound of its days)."""
        last = (self.end - timedelta(microseconds=1)).date()
        return last + timedelta(days=1)


def period(start: datetime | date, end: datetime | date) -> Period:
    """A period from query values: dates mean midnight UTC; `end` is exclusive and after `start`."""
    begin, finish = _moment(start), _moment(end)
    if finish <= begin:
        raise DomainError("`to` must be after `from`")
    if (finish - begin).days > MAX_DAYS:
        raise DomainError(f"a period spans at most {MAX_DAYS} days")
    if begin.year < MIN_YEAR or finish.year > MAX_YEAR:
        raise DomainError(f"periods lie between {MIN_YEAR} and {MAX_YEAR}")
    return Period(begin, finish)


def _moment(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def year_ago(moment: datetime) -> datetime:
    """The same calendar day and time a year earlier (29 February → 28 February)."""
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:
        return moment.replace(year=moment.year - 1, day=28)


def compared_period(current: Period, compare: str) -> Period:
    """`previous`: the same length just before; `yoy`: the same calendar days a year earlier."""
    if compare == "previous":
        return Period(current.start - (current.end - current.start), current.start)
    if compare == "yoy":
        return Period(year_ago(current.start), year_ago(current.end))
    raise DomainError("compare must be previous or yoy")


def delta_pct(current: Any, previous: Any) -> float | None:
    """(current − previous) ÷ |previous| × 100; None when either is missing or previous is zero."""
    now, before = _number(current), _number(previous)
    if now is None or before is None or before == 0:
        return None
    return round(float((now - before) / abs(before) * 100), 4)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, Mapping) and "amount" in value:
        value = value["amount"]
    if value is None or isinstance(value, bool | Mapping | list):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def deltas(current: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """The relative change of every figure, with the same nesting as the figures (money by its amount)."""
    out: dict[str, Any] = {}
    for key, value in current.items():
        before = previous.get(key)
        if isinstance(value, Mapping) and "amount" not in value:
            out[key] = deltas(value, before if isinstance(before, Mapping) else {})
        elif not isinstance(value, list | str) or _number(value) is not None:
            out[key] = delta_pct(value, before)
    return out
