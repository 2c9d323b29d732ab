"""`conformal_quantile`: the ceil((n+1)·level)-th smallest score, capped at the largest (hand-computed ranks)."""

from __future__ import annotations

import numpy as np
import pytest

from infrastructure.forecasting.scoring import conformal_quantile

SCORES = np.array([5.0, 1.0, 4.0, 2.0, 3.0])  # n = 5, sorted: 1 2 3 4 5


@pytest.mark.parametrize(
    ("level", "rank", "expected"),
    [
        (0.1, 1, 1.0),  # ceil(6 x 0.1) = ceil(0.6) = 1
        (1 / 6, 1, 1.0),  # ceil(1.0) = 1 exactly: not the next rank up
        (0.5, 3, 3.0),  # ceil(3.0) = 3
        (0.6, 4, 4.0),  # ceil(3.6) = 4
        (0.8, 5, 5.0),  # ceil(4.8) = 5
    ],
)
def test_the_rank_is_the_ceiling_of_n_plus_one_times_the_level(level: float, rank: int, expected: float) -> None:
    assert conformal_quantile(SCORES, level) == expected == np.sort(SCORES)[rank - 1]


@pytest.mark.parametrize("level", [0.9, 0.975, 0.999, 1.0])
def test_a_rank_beyond_n_is_capped_at_the_largest_score(level: float) -> None:
    assert conformal_quantile(SCORES, level) == 5.0  # ceil(6 x level) = 6 > n


def test_nineteen_scores_at_ninety_five_percent_take_the_nineteenth_not_the_twentieth() -> None:
    scores = np.arange(19.0, 0.0, -1.0)  # 1..19, reversed
    assert conformal_quantile(scores, 0.95) == 19.0  # ceil(20 x 0.95) = 19: no float rounding up to 20
    assert conformal_quantile(scores, 0.9) == 18.0  # ceil(18.0) = 18


def test_a_single_score_is_the_quantile_at_every_level() -> None:
    for level in (0.01, 0.5, 0.975, 1.0):
        assert conformal_quantile(np.array([-2.5]), level) == -2.5


def test_negative_and_repeated_scores_are_ranked_as_they_are() -> None:
    scores = np.array([-3.0, 0.0, -3.0, 2.0, 2.0, 2.0, -1.0])  # n = 7, sorted: -3 -3 -1 0 2 2 2
    assert conformal_quantile(scores, 0.25) == -3.0  # ceil(2.0) = 2
    assert conformal_quantile(scores, 0.5) == 0.0  # ceil(4.0) = 4
    assert conformal_quantile(scores, 0.55) == 2.0  # ceil(4.4) = 5


def test_the_scores_passed_in_are_left_unsorted() -> None:
    scores = SCORES.copy()
    conformal_quantile(scores, 0.5)
    assert scores.tolist() == SCORES.tolist()


def test_it_returns_a_python_float() -> None:
    assert type(conformal_quantile(np.array([1, 2, 3]), 0.5)) is float
