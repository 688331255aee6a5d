"""Baseline comparison of load summaries (a real 5-second run's summary as the fixture)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.reporting.baseline import compare, load_baseline
from conformance.reporting.gate_config import BaselineGate

FIXTURE = Path(__file__).parent / "fixtures" / "load.summary.json"
GATE = BaselineGate(tolerance=0.25, p95_slack_ms=10.0, p95_row_types=("OP",))


def summary() -> dict[str, Any]:
    return load_baseline(FIXTURE)


def regressions(current: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    return [comparison.describe() for comparison in compare(current, baseline, GATE) if comparison.regressed]


def test_a_run_holds_against_itself_and_every_figure_is_compared() -> None:
    figures = compare(summary(), summary(), GATE)
    names = {figure.figure for figure in figures}
    assert {"MB/s up of BlobPushMonolithic", "MB/s down of BlobPull", "MB/s up of total",
            "MB/s down of total",
            "p95 ms of 'OP push blob (monolithic)'", "p95 ms of 'OP pull blob'"} <= names
    assert not any(name.endswith("of setup") for name in names)
    assert not any(figure.regressed for figure in figures)


def test_throughput_below_tolerance_is_a_regression() -> None:
    current = summary()
    baseline = summary()
    push = baseline["scenarios"]["BlobPushMonolithic"]["mb_s_up"]
    current["scenarios"]["BlobPushMonolithic"]["mb_s_up"] = round(push * 0.74, 3)
    lines = regressions(current, baseline)
    assert len(lines) == 1 and lines[0].startswith("MB/s up of BlobPushMonolithic")
    current["scenarios"]["BlobPushMonolithic"]["mb_s_up"] = round(push * 0.76, 3)
    assert regressions(current, baseline) == []


def test_slower_p95_beyond_tolerance_and_slack_is_a_regression() -> None:
    baseline = summary()
    current = copy.deepcopy(baseline)
    row = next(r for r in current["requests"] if (r["type"], r["name"]) == ("OP", "pull blob"))
    base = row["p95_ms"]
    row["p95_ms"] = base * 1.25 + 10.0 + 1
    assert regressions(current, baseline) == [
        f"p95 ms of 'OP pull blob' {row['p95_ms']:g} > max {base * 1.25 + 10:.4g} (baseline {base:g})"
    ]
    row["p95_ms"] = base * 1.25 + 9
    assert regressions(current, baseline) == []


def test_missing_scenario_or_row_is_a_regression() -> None:
    current = summary()
    del current["scenarios"]["BlobPull"]
    current["requests"] = [r for r in current["requests"] if r["name"] != "pull blob range"]
    lines = regressions(current, summary())
    assert "MB/s down of BlobPull: missing in this run (baseline 25.494)" in lines
    assert any(line.startswith("p95 ms of 'OP pull blob range': missing") for line in lines)


def test_baseline_is_found_in_run_and_gate_folders(tmp_path: Path) -> None:
    (tmp_path / "load").mkdir()
    (tmp_path / "load" / "summary.json").write_text(FIXTURE.read_text())
    assert load_baseline(tmp_path) == summary() == load_baseline(tmp_path / "load")
    (tmp_path / "other.json").write_text(json.dumps({"checks": []}))
    with pytest.raises(ValueError, match="not a load run summary"):
        load_baseline(tmp_path / "other.json")
    with pytest.raises(FileNotFoundError):
        load_baseline(tmp_path / "nothing")
