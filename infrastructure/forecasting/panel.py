"""Input checking and the in-memory panel: history CSV frames become regular per-series arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

REQUIRED_COLUMNS = ("series_id", "date", "y")
OUTPUT_COLUMNS = ["series_id", "date", "mean", "lower_80", "upper_80", "lower_95", "upper_95", "model"]
# Default seasonal period by the offset class pandas gives the frequency.
SEASON_BY_OFFSET = {
    "Day": 7,
    "BusinessDay": 5,
    "Week": 52,
    "MonthEnd": 12,
    "MonthBegin": 12,
    "QuarterEnd": 4,
    "QuarterBegin": 4,
    "Hour": 24,
}
FREQ_SAMPLE = 25  # series whose own frequency is inferred; the most common one is the panel's


class ForecastInputError(ValueError):
    """History, future covariates or options that the forecaster cannot work with; the message says why."""


@dataclass(frozen=True)
class Series:
    """One series on a regular date grid: `y` for the history, covariates for history plus horizon."""

    key: str
    dates: pd.DatetimeIndex  # history and horizon dates, len(y) + horizon
    y: np.ndarray
    covariates: np.ndarray  # shape (len(dates), number of covariates); NaN where unknown


@dataclass(frozen=True)
class Panel:
    """All series of a request with the shared frequency, seasonal period and covariate names."""

    series: list[Series]
    freq: str
    season: int
    horizon: int
    covariate_names: list[str]


def check_history(history: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Return a clean copy (string ids, parsed dates, float y) or raise ForecastInputError."""
    if not isinstance(horizon, int | np.integer) or horizon <= 0:
        raise ForecastInputError(f"horizon must be a positive integer, got {horizon!r}")
    missing = [c for c in REQUIRED_COLUMNS if c not in history.columns]
    if missing:
        raise ForecastInputError(f"history is missing column(s) {', '.join(missing)}; need series_id,date,y")
    if history.empty:
        raise ForecastInputError("history has no rows")
    frame = history.copy()
    frame["series_id"] = frame["series_id"].astype(str)
    frame["date"] = _parse_dates(frame["date"], "history")
    frame["y"] = _numeric(frame["y"], "y")
    if frame["y"].isna().any():
        raise ForecastInputError("column y has empty values; every history row needs a number")
    for name in covariate_columns(frame):
        frame[name] = _numeric(frame[name], name)
    if frame.duplicated(["series_id", "date"]).any():
        raise ForecastInputError("history has more than one row for the same series_id and date")
    return frame.sort_values(["series_id", "date"], kind="stable").reset_index(drop=True)


def covariate_columns(frame: pd.DataFrame) -> list[str]:
    """Every column besides series_id, date and y is a covariate."""
    return [c for c in frame.columns if c not in REQUIRED_COLUMNS]


def infer_freq(frame: pd.DataFrame) -> str:
    """The most common frequency among the longest series (pandas' inference, else the usual spacing).

    Inferred per series because panels often mix spans and weekly anchors (one series on Fridays,
    another on Wednesdays); the union of their dates has no frequency.
    """
    sizes = frame.groupby("series_id", sort=False)["date"].size().sort_values(ascending=False)
    found: list[str] = []
    for key in sizes.index[:FREQ_SAMPLE]:
        dates = frame.loc[frame["series_id"] == key, "date"]
        if dates.nunique() >= 3:
            found.append(_series_freq(dates))
    if not found:
        if frame["date"].nunique() < 3:
            raise ForecastInputError("cannot infer the frequency from fewer than 3 dates; pass --freq")
        return _series_freq(frame["date"])
    return str(pd.Series(found).mode().iloc[0])


def _series_freq(dates: pd.Series) -> str:
    unique = pd.DatetimeIndex(dates.drop_duplicates().sort_values())
    with pd.option_context("future.infer_freq_returns_offset", True):
        inferred = pd.infer_freq(unique)
    if inferred is not None:
        return str(getattr(inferred, "freqstr", inferred))
    step = pd.Series(unique[1:] - unique[:-1]).mode().iloc[0]
    days = step / pd.Timedelta(days=1)
    if days == 7:
        return "W-" + str(unique[0].day_name())[:3].upper()
    if 28 <= days <= 31:
        return "MS" if unique[0].day == 1 else "ME"
    if days >= 1 and days == int(days):
        return "D" if days == 1 else f"{int(days)}D"
    return str(to_offset(step).freqstr)


def series_freq(freq: str, first: pd.Timestamp) -> str:
    """The panel frequency re-anchored for one series: a weekly series keeps its own weekday."""
    if type(to_offset(freq)).__name__ == "Week" and to_offset(freq).n == 1:
        return "W-" + str(first.day_name())[:3].upper()
    return freq


def check_freq(freq: str) -> None:
    """Raise ForecastInputError unless pandas knows the frequency alias."""
    try:
        to_offset(freq)
    except (ValueError, TypeError) as exc:
        raise ForecastInputError(f"unknown frequency {freq!r}") from exc


def default_season(freq: str) -> int:
    """Seasonal period that a frequency usually has (7 for daily, 52 weekly, 12 monthly...), else 1."""
    offset = to_offset(freq)
    if type(offset).__name__ == "Day" and offset.n != 1:
        return 1
    return SEASON_BY_OFFSET.get(type(offset).__name__, 1)


def build_panel(
    history: pd.DataFrame,
    horizon: int,
    future: pd.DataFrame | None,
    freq: str | None,
    season: int | None,
) -> Panel:
    """Check the inputs and put every series on its regular grid, covariates extended over the horizon.

    A date missing inside a series counts as zero demand (sales files usually omit days without sales).
    Covariates are used only when the future file supplies them for the horizon.
    """
    frame = check_history(history, horizon)
    freq = freq or infer_freq(frame)
    check_freq(freq)
    season = default_season(freq) if season is None else season
    if season < 1:
        raise ForecastInputError(f"season must be at least 1, got {season}")
    names = _usable_covariates(frame, future)
    future_frame = _check_future(future, names)
    series = [
        _one_series(str(key), rows, future_frame, names, freq, horizon)
        for key, rows in frame.groupby("series_id", sort=True)
    ]
    return Panel(series=series, freq=freq, season=season, horizon=horizon, covariate_names=names)


def _usable_covariates(frame: pd.DataFrame, future: pd.DataFrame | None) -> list[str]:
    names = covariate_columns(frame)
    if future is None:
        return []
    return [n for n in names if n in future.columns]


def _check_future(future: pd.DataFrame | None, names: list[str]) -> pd.DataFrame | None:
    if future is None or not names:
        return None
    missing = [c for c in ("series_id", "date") if c not in future.columns]
    if missing:
        raise ForecastInputError(f"future file is missing column(s) {', '.join(missing)}")
    result = future[["series_id", "date", *names]].copy()
    result["series_id"] = result["series_id"].astype(str)
    result["date"] = _parse_dates(result["date"], "future")
    for name in names:
        result[name] = _numeric(result[name], name)
    return result.set_index(["series_id", "date"]).sort_index()


def _one_series(
    key: str,
    rows: pd.DataFrame,
    future: pd.DataFrame | None,
    names: list[str],
    freq: str,
    horizon: int,
) -> Series:
    freq = series_freq(freq, rows["date"].iloc[0])
    grid = pd.date_range(rows["date"].iloc[0], rows["date"].iloc[-1], freq=freq)
    indexed = rows.set_index("date")
    if not indexed.index.isin(grid).all():
        raise ForecastInputError(f"series {key}: dates do not fall on a regular {freq} grid")
    indexed = indexed.reindex(grid)
    dates = pd.date_range(grid[0], periods=len(grid) + horizon, freq=freq)
    covariates = np.full((len(dates), len(names)), np.nan)
    if names:
        covariates[: len(grid)] = indexed[names].to_numpy(dtype=float)
        if future is not None and key in future.index.get_level_values(0):
            ahead = future.loc[key].reindex(dates[len(grid) :])
            covariates[len(grid) :] = ahead[names].to_numpy(dtype=float)
    y = indexed["y"].fillna(0.0).to_numpy(dtype=float)
    return Series(key=key, dates=dates, y=y, covariates=covariates)


def _parse_dates(values: pd.Series, where: str) -> pd.Series:
    try:
        parsed = pd.to_datetime(values)
    except (ValueError, TypeError):
        try:  # one file may mix "2024-01-05" and "2024-01-05 12:00"
            parsed = pd.to_datetime(values, format="mixed")
        except (ValueError, TypeError) as exc:
            raise ForecastInputError(f"{where}: column date has values that are not dates") from exc
    if parsed.isna().any():
        raise ForecastInputError(f"{where}: column date has empty values")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.astype("datetime64[ns]")


def _numeric(values: pd.Series, name: str) -> pd.Series:
    if values.dtype == bool:
        return values.astype(float)
    converted = pd.to_numeric(values, errors="coerce")
    if (converted.isna() & values.notna()).any():
        bad = values[converted.isna() & values.notna()].iloc[0]
        raise ForecastInputError(f"column {name} must be numeric; found {bad!r}")
    return converted.astype(float)
