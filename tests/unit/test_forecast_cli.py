"""`shopops forecast predict|evaluate` on CSV files: output format, JSON report keys, usage errors exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli.forecast import forecast
from cli.main import main

HEADER = "series_id,date,mean,lower_80,upper_80,lower_95,upper_95,model"


@pytest.fixture(scope="module")
def history_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(8)
    dates = pd.date_range("2024-01-01", periods=150, freq="D")
    t = np.arange(150)
    frames = [
        pd.DataFrame(
            {
                "series_id": f"SKU-{i}",
                "date": dates.strftime("%Y-%m-%d"),
                "y": rng.poisson(30 * (1 + 0.3 * np.sin(2 * np.pi * t / 7 + i))).astype(float),
                "promo": (rng.random(150) < 0.1).astype(int),
            }
        )
        for i in range(3)
    ]
    path = tmp_path_factory.mktemp("csv") / "history.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def future_csv(history_csv: Path) -> Path:
    dates = pd.date_range("2024-05-30", periods=7, freq="D").strftime("%Y-%m-%d")
    frame = pd.DataFrame([{"series_id": f"SKU-{i}", "date": d, "promo": 0} for i in range(3) for d in dates])
    path = history_csv.parent / "future.csv"
    frame.to_csv(path, index=False)
    return path


def test_predict_writes_one_row_per_series_and_date_with_iso_dates(history_csv: Path, future_csv: Path) -> None:
    out = history_csv.parent / "forecast.csv"
    result = CliRunner().invoke(
        forecast,
        ["predict", "--history", str(history_csv), "--horizon", "7", "--out", str(out), "--future", str(future_csv)],
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == HEADER
    assert len(lines) == 1 + 3 * 7
    assert lines[1].split(",")[1] == "2024-05-30"
    frame = pd.read_csv(out)
    assert (frame["lower_95"] <= frame["upper_95"]).all()


def test_evaluate_prints_a_json_report_with_every_baseline(history_csv: Path) -> None:
    result = CliRunner().invoke(
        forecast, ["evaluate", "--history", str(history_csv), "--horizon", "7", "--origins", "2"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"models", "horizon", "freq", "season", "origins", "series", "gate_selected", "seconds"} <= set(report)
    assert {"selected", "seasonal_naive", "ets", "arima"} <= set(report["models"])
    assert {"mase", "rmsse", "wrmsse", "bias_pct", "coverage_80", "coverage_95", "win_rate"} <= set(
        report["models"]["selected"]
    )
    assert len(report["origins"]) == 2


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("series_id,day,y\nA,2024-01-01,1\n", [], "missing column"),
        ("series_id,date,y\nA,2024-01-01,x\nA,2024-01-02,2\nA,2024-01-03,2\n", [], "must be numeric"),
        ("series_id,date,y\nA,2024-01-01,1\nA,2024-01-02,2\nA,2024-01-03,2\n", ["--freq", "nonsense"], "frequency"),
        ("series_id,date,y\nA,2024-01-01,1\nA,2024-01-02,2\nA,2024-01-03,2\n", ["--horizon", "0"], "horizon"),
    ],
)
def test_bad_input_is_a_one_line_usage_error_with_exit_code_2(
    tmp_path: Path, content: str, extra: list[str], message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    args = ["predict", "--history", str(path), "--horizon", "3", "--out", str(tmp_path / "out.csv"), *extra]
    result = CliRunner().invoke(forecast, args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.csv").exists()


def test_an_unreadable_history_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(forecast, ["evaluate", "--history", str(tmp_path / "missing.csv"), "--horizon", "3"])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


def test_the_forecast_group_is_part_of_the_shopops_command() -> None:
    result = CliRunner().invoke(main, ["forecast", "--help"])
    assert result.exit_code == 0
    assert "predict" in result.output
    assert "evaluate" in result.output


def test_the_installed_shopops_executable_predicts_from_files(history_csv: Path) -> None:
    executable = Path(sys.executable).parent / "shopops"
    out = history_csv.parent / "subprocess.csv"
    done = subprocess.run(
        [str(executable), "forecast", "predict", "--history", str(history_csv), "--horizon", "5", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines()[0] == HEADER
    assert len(out.read_text().splitlines()) == 1 + 3 * 5
    bad = subprocess.run(
        [str(executable), "forecast", "predict", "--history", str(out), "--horizon", "5", "--out", str(out) + ".x"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
