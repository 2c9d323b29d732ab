"""Reads a simulation's inputs: the daily history CSV (as `forecast predict` takes) and the opening stock CSV."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from application.simulation.scenario import Scenario, SeriesInput

DEFAULT_DAYS = 365
MIN_DEFAULT_WARMUP = 56


class SimulationInputError(ValueError):
    """An input the simulation cannot use; the message says which file and why, in one line."""


def read_csv(path: Path, option: str, text: bool = False) -> pd.DataFrame:
    """The CSV at `path`; series ids stay text, and with `text` every column does (costs stay exact)."""
    try:
        return pd.read_csv(path, dtype=str if text else {"series_id": str})
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
        raise SimulationInputError(f"{option}: cannot read {path}: {reason}") from error


def load_scenario(history: pd.DataFrame, days: int | None, initial: pd.DataFrame | None = None) -> Scenario:
    """Daily units per series on one date grid (a missing day is zero demand; y is rounded to whole units
    and negative values, returns, count as zero); the last `days` days are simulated."""
    frame = _checked_history(history)
    first, last = frame["date"].min(), frame["date"].max()
    length = int((last - first).days) + 1
    window = _window(days, length)
    opening = _opening(initial, set(frame["series_id"]))
    series = []
    for key, rows in frame.groupby("series_id", sort=True):
        offsets = (rows["date"] - first).dt.days.to_numpy()
        units = np.zeros(length, dtype=np.int64)
        units[offsets] = np.maximum(np.rint(rows["y"].to_numpy(dtype=float)), 0).astype(np.int64)
        on_hand, cost = opening.get(str(key), (None, Decimal(1)))
        series.append(SeriesInput(str(key), tuple(int(u) for u in units), int(offsets.min()), cost, on_hand))
    return Scenario(date.fromisoformat(first.date().isoformat()), window, tuple(series))


def _checked_history(history: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("series_id", "date", "y") if c not in history.columns]
    if missing:
        raise SimulationInputError(f"--history: missing column(s) {', '.join(missing)} (need series_id,date,y)")
    if history.empty:
        raise SimulationInputError("--history: no rows")
    frame = history[["series_id", "date", "y"]].copy()
    if frame["series_id"].isna().any():
        raise SimulationInputError("--history: a row has no series_id")
    frame["series_id"] = frame["series_id"].astype(str)
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce", format="mixed")
    if frame["date"].isna().any():
        raise SimulationInputError("--history: a date is missing or not a date (use YYYY-MM-DD)")
    if not (frame["date"] == frame["date"].dt.normalize()).all():
        raise SimulationInputError("--history: dates must be whole days (the simulation is daily)")
    frame["y"] = pd.to_numeric(frame["y"], errors="coerce")
    if not np.isfinite(frame["y"].to_numpy(dtype=float)).all():
        raise SimulationInputError("--history: y must be a number on every row")
    if frame.duplicated(["series_id", "date"]).any():
        raise SimulationInputError("--history: a series has the same date twice")
    _require_daily(frame)
    return frame


def _require_daily(frame: pd.DataFrame) -> None:
    steps = frame.sort_values(["series_id", "date"]).groupby("series_id")["date"].diff().dropna().dt.days
    if not steps.empty and int(steps.mode().iloc[0]) != 1:
        raise SimulationInputError(
            f"--history: the series look {int(steps.mode().iloc[0])}-daily; the simulation needs daily demand"
        )


def _window(days: int | None, length: int) -> int:
    if length < 2:
        raise SimulationInputError("--history: needs at least two days (one of warm-up, one to simulate)")
    if days is None:
        return min(DEFAULT_DAYS, max(length - MIN_DEFAULT_WARMUP, length // 2))
    if not 1 <= days < length:
        raise SimulationInputError(f"--days: must be between 1 and {length - 1} (the history spans {length} days)")
    return days


def _opening(initial: pd.DataFrame | None, known: set[str]) -> dict[str, tuple[int | None, Decimal]]:
    """series_id -> (opening on hand or None, unit cost) from the optional --initial file."""
    if initial is None:
        return {}
    if "series_id" not in initial.columns or not {"on_hand", "unit_cost"} & set(initial.columns):
        raise SimulationInputError("--initial: need series_id and on_hand and/or unit_cost columns")
    out: dict[str, tuple[int | None, Decimal]] = {}
    for row in initial.to_dict("records"):
        key = str(row["series_id"])
        if key not in known:
            raise SimulationInputError(f"--initial: series {key!r} is not in the history")
        if key in out:
            raise SimulationInputError(f"--initial: series {key!r} appears twice")
        out[key] = (_on_hand(row.get("on_hand"), key), _cost(row.get("unit_cost"), key))
    return out


def _on_hand(value: object, key: str) -> int | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number) or number < 0 or number != int(number):
        raise SimulationInputError(f"--initial: on_hand of {key!r} must be a whole number ≥ 0, got {value!r}")
    return int(number)


def _cost(value: object, key: str) -> Decimal:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return Decimal(1)
    try:
        cost = Decimal(str(value))
    except InvalidOperation:
        cost = Decimal("NaN")
    if not cost.is_finite() or cost < 0:
        raise SimulationInputError(f"--initial: unit_cost of {key!r} must be a number ≥ 0, got {value!r}")
    return cost
