"""The forecasting engine on small seeded panels: output shape, intervals, model choice, report, input errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info

from infrastructure.forecasting import (
    OUTPUT_COLUMNS,
    SERIES_COLUMNS,
    ForecastInputError,
    ForecastReport,
    forecast,
    forecast_with_report,
)
from infrastructure.forecasting.engine import run_panel
from infrastructure.forecasting.local_models import (
    BACKTEST_ORIGINS,
    SMALL_PANEL_ORIGINS,
    LocalFit,
    fit_series,
    origin_count,
)
from infrastructure.forecasting.panel import build_panel
from infrastructure.forecasting.scoring import calibrate, select_model
from infrastructure.forecasting.threads import limited_blas_threads

HORIZON = 14


def daily_panel(series: int, length: int, seed: int = 3, promo_lift: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weekly-seasonal daily demand with a promo covariate; returns (history, future promo for HORIZON days)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=length + HORIZON, freq="D")
    t = np.arange(length + HORIZON)
    histories, futures = [], []
    for i in range(series):
        promo = (rng.random(len(t)) < 0.12).astype(float)
        level = rng.uniform(20, 80)
        mean = level * (1 + 0.3 * np.sin(2 * np.pi * t / 7 + i)) * (1 + promo_lift * promo)
        y = rng.poisson(mean).astype(float)
        key = f"S{i:02d}"
        histories.append(
            pd.DataFrame({"series_id": key, "date": dates[:length], "y": y[:length], "promo": promo[:length]})
        )
        futures.append(
            pd.DataFrame({"series_id": key, "date": dates[length:], "promo": promo[length:], "y": y[length:]})
        )
    return pd.concat(histories, ignore_index=True), pd.concat(futures, ignore_index=True)


@pytest.fixture(scope="module")
def panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    return daily_panel(series=5, length=240)


@pytest.fixture(scope="module")
def report(panel: tuple[pd.DataFrame, pd.DataFrame]) -> ForecastReport:
    history, future = panel
    return forecast_with_report(history, HORIZON, future=future.drop(columns="y"))


def test_one_row_per_series_and_forecast_date_with_exactly_the_output_columns(report: ForecastReport) -> None:
    frame = report.forecasts
    assert list(frame.columns) == OUTPUT_COLUMNS
    assert len(frame) == 5 * HORIZON
    for _, rows in frame.groupby("series_id"):
        expected = pd.date_range("2024-08-28", periods=HORIZON, freq="D")  # day after 240 days from 2024-01-01
        assert list(rows["date"]) == list(expected)


def test_intervals_nest_around_the_mean_and_demand_forecasts_are_never_negative(report: ForecastReport) -> None:
    f = report.forecasts
    assert (f["lower_95"] <= f["lower_80"]).all()
    assert (f["lower_80"] <= f["mean"]).all()
    assert (f["mean"] <= f["upper_80"]).all()
    assert (f["upper_80"] <= f["upper_95"]).all()
    assert (f[["mean", "lower_80", "lower_95"]] >= 0).all().all()


def test_forecast_returns_exactly_what_the_report_delivers(panel: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    history, future = panel
    plain = forecast(history, HORIZON, future=future.drop(columns="y"), workers=1)
    reported = forecast_with_report(history, HORIZON, future=future.drop(columns="y"), workers=1).forecasts
    pd.testing.assert_frame_equal(plain, reported)


def test_the_series_report_describes_the_chosen_model_of_every_series(report: ForecastReport) -> None:
    series = report.series
    assert list(series.columns) == SERIES_COLUMNS
    assert sorted(series["series_id"]) == [f"S{i:02d}" for i in range(5)]
    chosen = report.forecasts.drop_duplicates("series_id").set_index("series_id")["model"]
    assert (series.set_index("series_id")["model"] == chosen).all()
    assert set(series["kind"]) == {"regular"}
    assert (series["observations"] == 240).all()
    assert (series["start"] == pd.Timestamp("2024-01-01")).all()
    assert (series["end"] == pd.Timestamp("2024-08-27")).all()
    assert (series["backtest_mase"] > 0).all()
    assert series["backtest_bias"].map(math.isfinite).all()
    assert (series["error_sd"] > 0).all()
    assert (series["scale"] > 0).all()
    for text in series["params"]:
        assert isinstance(json.loads(text), dict)
    assert report.timings["local_models_s"] >= 0


def test_intermittent_series_are_forecast_with_sba_or_tsb() -> None:
    rng = np.random.default_rng(5)
    y = np.where(rng.random(200) < 0.15, rng.integers(1, 6, 200), 0).astype(float)
    history = pd.DataFrame({"series_id": "slow", "date": pd.date_range("2024-01-01", periods=200), "y": y})
    result = forecast_with_report(history, HORIZON)
    assert result.series["kind"].iloc[0] == "intermittent"
    assert set(result.forecasts["model"]) <= {"sba", "tsb"}
    assert (result.forecasts["mean"] > 0).all()


def test_short_constant_all_zero_and_negative_series_are_all_forecast_in_one_panel() -> None:
    dates = pd.date_range("2024-01-01", periods=120)
    rng = np.random.default_rng(9)
    parts = [
        pd.DataFrame({"series_id": "new", "date": dates[-5:], "y": [3.0, 4.0, 2.0, 5.0, 4.0]}),
        pd.DataFrame({"series_id": "newer", "date": dates[-30:], "y": rng.poisson(10, 30).astype(float)}),
        pd.DataFrame({"series_id": "flat", "date": dates, "y": 7.0}),
        pd.DataFrame({"series_id": "zero", "date": dates, "y": 0.0}),
        pd.DataFrame({"series_id": "returns", "date": dates, "y": rng.normal(0, 5, 120)}),
    ]
    result = forecast_with_report(pd.concat(parts), HORIZON)
    frame = result.forecasts
    assert len(frame) == 5 * HORIZON
    assert np.isfinite(frame[OUTPUT_COLUMNS[2:7]].to_numpy()).all()
    by_series = frame.groupby("series_id")
    assert by_series["mean"].mean()["flat"] == pytest.approx(7.0, abs=0.5)
    assert (by_series.get_group("zero")[OUTPUT_COLUMNS[2:7]] == 0).all().all()
    assert by_series.get_group("returns")["lower_80"].min() < 0  # series with negative values may go negative
    kinds = result.series.set_index("series_id")["kind"]
    assert kinds["new"] == "short"
    assert kinds["newer"] == "short"
    assert (result.series.set_index("series_id").loc["new", "observations"]) == 5


def test_a_single_series_panel_with_weekly_dates_is_forecast() -> None:
    rng = np.random.default_rng(2)
    dates = pd.date_range("2020-01-03", periods=60, freq="W-FRI")
    history = pd.DataFrame({"series_id": 1, "date": dates.strftime("%Y-%m-%d"), "y": 100 + rng.normal(0, 5, 60)})
    frame = forecast(history, 8)
    assert len(frame) == 8
    assert frame["series_id"].iloc[0] == "1"
    assert frame["date"].iloc[0] == pd.Timestamp("2021-02-26")


def test_covariates_change_the_forecast_only_when_the_future_gives_them() -> None:
    history, future = daily_panel(series=4, length=200, seed=11, promo_lift=1.5)
    with_future = run_panel(build_panel(history, HORIZON, future.drop(columns="y"), None, None))
    without = run_panel(build_panel(history, HORIZON, None, None, None))
    hybrid_with = with_future.frame[with_future.frame["model"] == "hybrid"]
    hybrid_without = without.frame[without.frame["model"] == "hybrid"]
    promo_days = future.set_index(["series_id", "date"])["promo"]
    lifted = hybrid_with.set_index(["series_id", "date"])["mean"]
    uplift = lifted[promo_days.reindex(lifted.index) == 1].mean() / lifted[promo_days.reindex(lifted.index) == 0].mean()
    assert uplift > 1.5
    assert not np.allclose(hybrid_with["mean"].to_numpy(), hybrid_without["mean"].to_numpy())


def test_the_hybrid_wins_the_gate_when_promotions_drive_big_lifts_and_beats_arima_out_of_sample() -> None:
    history, future = daily_panel(series=6, length=300, seed=21, promo_lift=2.0)
    result = run_panel(build_panel(history, HORIZON, future.drop(columns="y"), None, None), workers=1)
    assert set(result.summary["model"]) == {"hybrid"}
    actual = future.set_index(["series_id", "date"])["y"]
    errors = {}
    for model in ("hybrid", "arima"):
        rows = result.frame[result.frame["model"] == model].set_index(["series_id", "date"])["mean"]
        errors[model] = float(np.mean(np.abs(rows - actual.reindex(rows.index))))
    assert errors["hybrid"] < 0.7 * errors["arima"]


def _fit_with_backtest(y: np.ndarray, hybrid_error: float) -> LocalFit:
    """A regular fit whose plain models miss by 2 everywhere and whose hybrid misses by `hybrid_error`."""
    origins = [79, 86, 93, 100]
    fit = LocalFit("regular", origins, scale=1.0, season=7)
    for model in ("seasonal_naive", "ets", "arima", "theta", "ets_arima", "combination"):
        fit.forecasts[model] = np.array([y[o : o + 7] + 2.0 if o < 100 else np.zeros(7) for o in origins])
    fit.forecasts["hybrid"] = np.array([y[o : o + 7] + hybrid_error if o < 100 else np.zeros(7) for o in origins])
    return fit


def test_the_gate_takes_the_hybrid_only_where_its_backtest_beats_the_plain_models() -> None:
    y = np.arange(100, dtype=float)
    panel_scores = dict.fromkeys(("seasonal_naive", "ets", "arima", "theta", "ets_arima", "combination"), 2.0)
    assert select_model(y, _fit_with_backtest(y, 0.5), {**panel_scores, "hybrid": 0.5}) == "hybrid"
    assert select_model(y, _fit_with_backtest(y, 1.99), {**panel_scores, "hybrid": 1.99}) == "combination"
    assert select_model(y, _fit_with_backtest(y, 3.0), {**panel_scores, "hybrid": 3.0}) == "combination"


def test_the_gate_needs_covariates_and_a_panel_wide_gain_to_take_the_hybrid() -> None:
    y = np.arange(100, dtype=float)
    panel_scores = dict.fromkeys(("seasonal_naive", "ets", "arima", "theta", "ets_arima", "combination"), 2.0)
    fit = _fit_with_backtest(y, 0.5)
    assert select_model(y, fit, {**panel_scores, "hybrid": 0.5}, covariates=False) == "combination"
    # This series' hybrid backtest is good, but across the panel the hybrid does not beat the combination.
    assert select_model(y, fit, {**panel_scores, "hybrid": 1.95}) == "combination"


def test_small_panels_get_extra_backtest_origins_only_where_the_history_allows() -> None:
    assert origin_count(1000, 7, 14, SMALL_PANEL_ORIGINS) == SMALL_PANEL_ORIGINS
    assert origin_count(1000, 7, 14, BACKTEST_ORIGINS) == BACKTEST_ORIGINS
    # 143 weeks with a 52-week season: going back further would leave fewer than three seasons to fit.
    assert origin_count(143, 52, 8, SMALL_PANEL_ORIGINS) == BACKTEST_ORIGINS
    history, _ = daily_panel(series=1, length=200, seed=5)
    y = history["y"].to_numpy(dtype=float)
    many, few = fit_series(y, 7, HORIZON, SMALL_PANEL_ORIGINS), fit_series(y, 7, HORIZON)
    assert len(many.origins) == SMALL_PANEL_ORIGINS + 1
    assert len(few.origins) == BACKTEST_ORIGINS + 1
    # Parameters are still estimated at the regular first origin: the shared origins forecast the same.
    for model in ("ets", "arima", "theta", "combination"):
        np.testing.assert_allclose(many.forecasts[model][-BACKTEST_ORIGINS - 1 :], few.forecasts[model])


def test_intervals_follow_skewed_backtest_errors_and_widen_with_the_step() -> None:
    rng = np.random.default_rng(8)
    steps = np.sqrt(np.arange(1, 8))
    errors = [rng.exponential(1.0, (5, 7)) * steps - 0.5 * steps for _ in range(4)]  # right-skewed, few
    widths = calibrate(errors, 7)
    assert widths is not None
    for level in (0.80, 0.95):
        assert np.all(widths.above[level] > widths.below[level])
        assert np.all(np.diff(widths.above[level]) >= 0)
        assert widths.above[level][-1] > widths.above[level][0]
    assert np.all(widths.above[0.95] >= widths.above[0.80])
    assert np.all(widths.below[0.95] >= widths.below[0.80])


def test_a_process_pool_gives_the_same_forecasts_as_fitting_in_process() -> None:
    regular, _ = daily_panel(series=4, length=90, seed=4)
    rng = np.random.default_rng(4)
    dates = pd.date_range("2024-01-01", periods=90)
    slow = [
        pd.DataFrame({"series_id": f"slow{i:02d}", "date": dates, "y": np.where(rng.random(90) < 0.2, 2.0, 0.0)})
        for i in range(36)  # intermittent items are cheap: the pool is exercised without a long test
    ]
    history = pd.concat([regular.drop(columns="promo"), *slow], ignore_index=True)
    pooled = forecast(history, 7, workers=2)
    in_process = forecast(history, 7, workers=1)
    pd.testing.assert_frame_equal(pooled, in_process)
    assert set(pooled["model"]) & {"sba", "tsb"}


def test_limiting_blas_threads_in_process_restores_the_previous_setting() -> None:
    def blas_threads() -> list[int]:
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    before = blas_threads()
    assert before, "numpy's BLAS is loaded in this process"
    with limited_blas_threads(1):
        assert set(blas_threads()) == {1}
    assert blas_threads() == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.drop(columns="y"), "missing column"),
        (lambda h: h.assign(y=h["y"].astype(object).where(h.index != 3, "lots")), "must be numeric"),
        (lambda h: h.assign(date="not a date"), "not dates"),
        (lambda h: pd.concat([h, h.head(1)]), "more than one row"),
    ],
)
def test_bad_history_raises_a_forecast_input_error_that_says_why(change: object, message: str) -> None:
    history, _ = daily_panel(series=1, length=60)
    with pytest.raises(ForecastInputError, match=message):
        forecast(change(history), HORIZON)  # type: ignore[operator]


def test_bad_options_raise_forecast_input_errors() -> None:
    history, _ = daily_panel(series=1, length=60)
    with pytest.raises(ForecastInputError, match="horizon"):
        forecast(history, 0)
    with pytest.raises(ForecastInputError, match="unknown frequency"):
        forecast(history, HORIZON, freq="fortnightly-ish")
    with pytest.raises(ForecastInputError, match="workers"):
        forecast(history, HORIZON, workers=0)


def test_dates_off_the_series_grid_are_rejected_with_the_grid_named() -> None:
    history = pd.DataFrame(
        {"series_id": "a", "date": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-05 12:00"], "y": 1.0}
    )
    with pytest.raises(ForecastInputError, match="regular D grid"):
        forecast(history, 3)
