"""`shopops simulate` as a real process: report.json with the contract's fields, report.html, usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from cli.main import main

KPIS = {
    "fill_rate",
    "stockout_days",
    "lost_units",
    "average_inventory_value",
    "turnover",
    "slow_mover_share",
    "cleared_units",
    "orders_placed",
    "demand_units",
    "served_units",
    "cogs",
}
DAILY = {"date", "demand_units", "served_units", "lost_units", "on_hand_units", "inventory_value"}
DAILY |= {"orders_placed", "ordered_units"}


def shopops(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from cli.main import main; main()", "simulate", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)


def in_process(*args: str | Path) -> Result:
    """The same command through click's runner (usage errors need no engine and no new interpreter)."""
    return CliRunner().invoke(main, ["simulate", *map(str, args)])


@pytest.fixture(scope="module")
def history_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(5)
    dates = pd.date_range("2024-03-01", periods=40, freq="D").strftime("%Y-%m-%d")
    t = np.arange(40)  # short: the engine takes its light path for series this short (fast test)
    frames = [
        pd.DataFrame({"series_id": f"S{i}", "date": dates, "y": rng.poisson(8 + 3 * np.sin(t * 0.9 + i))})
        for i in range(3)
    ]
    path = tmp_path_factory.mktemp("sim") / "history.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_simulate_writes_the_contract_report_and_an_html_page_without_a_cdn(history_csv: Path, tmp_path: Path) -> None:
    initial = tmp_path / "initial.csv"
    initial.write_text("series_id,on_hand,unit_cost\nS0,500,2.50\nS1,,4\n", encoding="utf-8")
    out = tmp_path / "out"
    done = shopops("--history", history_csv, "--days", "7", "--lead-time", "3", "--out", out, "--initial", initial)
    assert done.returncode == 0, done.stderr
    assert "3 series, 7 days after 33 days of warm-up" in done.stderr
    assert "wrote" in done.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(report["policies"]) == {"static", "forecast"}
    for policy in report["policies"].values():
        assert set(policy) >= KPIS
        assert set(policy["series"]) == {"S0", "S1", "S2"}
        assert all(set(series) >= KPIS for series in policy["series"].values())
        assert len(policy["daily"]) == 7
        assert all(set(row) == DAILY for row in policy["daily"])
        assert policy["daily"][-1]["date"] == "2024-04-09"
        assert policy["demand_units"] == policy["served_units"] + policy["lost_units"]
    assert report["policies"]["static"]["series"]["S0"]["cogs"] == pytest.approx(
        2.5 * report["policies"]["static"]["series"]["S0"]["served_units"]
    )
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in page
    assert len(page) > 1_000_000
    assert ScriptSources.of(page) == []


class ScriptSources(HTMLParser):
    """The `src` of every <script> tag (script bodies are not parsed as markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.sources += [value or "" for name, value in attrs if name == "src"]

    @classmethod
    def of(cls, page: str) -> list[str]:
        parser = cls()
        parser.feed(page)
        return parser.sources


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "40"], "--days"),
        (["--policies", "static,magic"], "magic"),
        (["--lead-time", "0"], "lead time"),
    ],
)
def test_bad_options_exit_2_with_one_line(history_csv: Path, tmp_path: Path, args: list[str], message: str) -> None:
    done = in_process("--history", history_csv, "--out", tmp_path / "out", *args)
    assert done.exit_code == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("series_id,day,y\nA,2024-01-01,3\n", "missing column"),
        ("series_id,date,y\nA,2024-01-01,3\nA,yesterday,4\n", "not a date"),
        ("series_id,date,y\nA,2024-01-01,3\nA,2024-01-02,lots\n", "number"),
        ("series_id,date,y\nA,2024-01-01,3\nA,2024-01-08,4\nA,2024-01-15,5\n", "daily"),
    ],
)
def test_a_bad_history_exits_2_with_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text(content, encoding="utf-8")
    done = in_process("--history", path, "--out", tmp_path / "out")
    assert done.exit_code == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_opening_stock_for_an_unknown_series_exits_2_as_a_process(history_csv: Path, tmp_path: Path) -> None:
    initial = tmp_path / "initial.csv"
    initial.write_text("series_id,on_hand\nNOPE,3\n", encoding="utf-8")
    done = shopops("--history", history_csv, "--initial", initial, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert "NOPE" in done.stderr
