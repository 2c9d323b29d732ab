"""Seeded synthetic retail panel for the simulation benchmarks: daily units per SKU plus opening stock and cost.

Kinds of item (shares are the defaults): regular sellers with trend, weekly and yearly seasonality and
promotions (60%); intermittent items that sell on a fraction of days (20%); slow movers selling a unit every
week or two (10%); items reaching end of life, whose demand fades to almost nothing (10%). Opening stock is
about 30 days of recent demand, with a quarter of the items overstocked (90-240 days), as buying mistakes
and fading items leave them. Nothing here is fitted to the real panels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KINDS = (("regular", 0.6), ("intermittent", 0.2), ("slow", 0.1), ("fading", 0.1))
OVERSTOCK_SHARE = 0.25


def synthetic_retail(
    series: int, days: int, seed: int = 7, start: str = "2024-01-01"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history: series_id,date,y; initial: series_id,on_hand,unit_cost) for `series` items over `days` days."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D").strftime("%Y-%m-%d")
    t = np.arange(days)
    names, shares = zip(*KINDS, strict=True)
    histories, initial = [], []
    for i in range(series):
        kind = str(rng.choice(names, p=shares))
        y = _demand(rng, t, kind)
        key = f"SKU{i:04d}"
        histories.append(pd.DataFrame({"series_id": key, "date": dates, "y": y}))
        initial.append({"series_id": key, "on_hand": _opening(rng, y), "unit_cost": f"{rng.lognormal(2.3, 0.7):.2f}"})
    return pd.concat(histories, ignore_index=True), pd.DataFrame(initial)


def _demand(rng: np.random.Generator, t: np.ndarray, kind: str) -> np.ndarray:
    if kind == "slow":
        return rng.poisson(rng.uniform(0.05, 0.15), len(t)).astype(float)
    level = float(rng.lognormal(2.5 if kind != "intermittent" else 1.2, 0.7))
    weekly = 1 + rng.uniform(0.05, 0.35) * np.sin(2 * np.pi * t / 7 + rng.uniform(0, 2 * np.pi))
    yearly = 1 + rng.uniform(0.0, 0.4) * np.sin(2 * np.pi * t / 365.25 + rng.uniform(0, 2 * np.pi))
    trend = np.maximum(1 + rng.normal(0, 0.0006) * t, 0.2)
    promo = np.convolve((rng.random(len(t)) < 0.02).astype(float), np.ones(4), mode="same") > 0
    rate = level * weekly * yearly * trend * (1 + promo * rng.uniform(0.5, 2.0))
    if kind == "intermittent":
        rate = rate * (rng.random(len(t)) < rng.uniform(0.1, 0.4))
    if kind == "fading":
        fade_from = int(rng.uniform(0.4, 0.8) * len(t))
        rate = rate * np.where(t < fade_from, 1.0, np.exp(-(t - fade_from) / rng.uniform(20, 60)))
    return rng.poisson(np.maximum(rate, 0.0)).astype(float)


def _opening(rng: np.random.Generator, y: np.ndarray) -> int:
    """Stock at the start of the simulated year: y's mean over the whole panel stands in for recent demand."""
    daily = max(float(y.mean()), 0.1)
    cover = rng.uniform(90, 240) if rng.random() < OVERSTOCK_SHARE else rng.uniform(20, 40)
    return round(daily * cover)
