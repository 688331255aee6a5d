"""`registry-harness gate` end to end: passes on the bundled server, fails on distribution 2.8.2 for the
known reasons (tag-list ordering and pagination, plus a baseline regression), passes it with the curated
expectations file and fails it on a deviation the file does not list; every report in one folder."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import schemas
from conformance.cli import main as cli_main
from conformance.registries import distribution_available, start_distribution

HERE = Path(__file__).parent
REPO_ROOT = HERE.parents[2]
N_CHECK = "test_tags.py::test_n_returns_the_first_n_tags_or_a_link"
CONFIG = HERE / "gate.test.toml"
SUMMARY = HERE / "fixtures" / "load.summary.json"


def scaled_baseline(tmp_path: Path, throughput: float, latency: float) -> Path:
    """The fixture summary with every MB/s multiplied by `throughput` and every p95 by `latency`."""
    document = json.loads(SUMMARY.read_text())
    for figures in [*document["scenarios"].values(), document["total"]]:
        for key in ("mb_s_up", "mb_s_down"):
            figures[key] = figures[key] * throughput
    for row in document["requests"]:
        row["p95_ms"] = row["p95_ms"] * latency
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(document))
    return path


def check_run_folder(folder: Path) -> dict[str, Any]:
    """Every report is in the run folder; results.json is valid; junit.xml matches it. Returns gate.json."""
    gate: dict[str, Any] = json.loads((folder / "gate.json").read_text())
    results = json.loads((folder / "conformance" / "results.json").read_text())
    assert schemas.validate(results, "results") == []
    assert (folder / "conformance" / "report.html").read_text().startswith("<!doctype html>")
    junit = ET.parse(folder / "conformance" / "junit.xml").getroot()
    assert len(junit.findall(".//testcase/failure")) == results["counts"]["failed"]
    counts = results["counts"]
    skipped = counts["disabled"] + counts["unsupported"] + counts["skipped"]
    assert len(junit.findall(".//testcase/skipped")) == skipped
    summary = json.loads((folder / "load" / "summary.json").read_text())
    assert summary["http"]["requests"] > 0
    assert (folder / "load-thresholds.toml").is_file()
    assert [step["name"] for step in gate["steps"]] == ["conformance", "load", "baseline"]
    return gate


def test_gate_passes_on_the_bundled_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "gate"
    baseline = scaled_baseline(tmp_path, throughput=0.01, latency=100)
    code = cli_main(["gate", "--config", str(CONFIG), "--output-dir", str(folder),
                     "--baseline", str(baseline)])
    out = capsys.readouterr().out
    gate = check_run_folder(folder)
    assert code == 0, out + json.dumps(gate["reasons"], indent=1)
    assert gate["passed"] is True and gate["reasons"] == []
    assert gate["registry"]["bundled"] is True
    assert [step["status"] for step in gate["steps"]] == ["passed", "passed", "passed"]
    conformance = gate["steps"][0]["details"]["counts"]
    assert conformance["failed"] == conformance["error"] == 0 and conformance["passed"] >= 8
    assert gate["steps"][2]["details"]["figures"], "the baseline comparison compared nothing"
    assert "GATE PASSED" in out


@pytest.mark.skipif(not distribution_available(), reason="needs Debian's docker-registry 2.8.2")
def test_gate_fails_on_distribution_for_the_expected_reasons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "gate"
    baseline = scaled_baseline(tmp_path, throughput=1000, latency=1000)  # p95 can never regress
    registry = start_distribution()
    try:
        code = cli_main(["gate", "--registry-url", registry.url, "--config", str(CONFIG),
                         "--output-dir", str(folder), "--baseline", str(baseline)])
    finally:
        registry.stop()
    out = capsys.readouterr().out
    gate = check_run_folder(folder)
    assert code == 1
    assert gate["passed"] is False and gate["registry"] == {"url": registry.url, "bundled": False}
    conformance, load, compared = gate["steps"]
    assert (conformance["status"], load["status"], compared["status"]) == ("failed", "passed", "failed")
    failed = [reason.split(": ")[1] for reason in conformance["reasons"] if reason.startswith("failed: ")]
    # distribution 2.8.2 ignores n and last on the tag list and returns tags unsorted (known deviations)
    assert "test_tags.py::test_n_returns_the_first_n_tags_or_a_link" in failed
    assert "test_tags.py::test_n_zero_returns_an_empty_list_without_link" in failed
    assert all(name.startswith("test_tags.py::") for name in failed)
    assert conformance["reasons"][0] == f"{len(failed)} failed checks (at most 0 allowed)"
    assert all(reason.startswith("regression: MB/s") for reason in compared["reasons"])
    assert "regression: MB/s up of BlobPushMonolithic" in " ".join(compared["reasons"])
    assert gate["reasons"] == [f"conformance: {r}" for r in conformance["reasons"]] + [
        f"baseline: {r}" for r in compared["reasons"]]
    assert "GATE FAILED" in out and "test_n_returns_the_first_n_tags_or_a_link" in out


def test_bad_config_exits_2_before_starting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gate.toml"
    config.write_text("[load]\nusers = -1\n")
    assert cli_main(["gate", "--config", str(config), "--output-dir", str(tmp_path / "gate")]) == 2
    assert "load.users: must be >= 1" in capsys.readouterr().err
    assert not (tmp_path / "gate").exists()


@pytest.mark.skipif(not distribution_available(), reason="needs Debian's docker-registry 2.8.2")
def test_gate_with_the_curated_expectations_passes_distribution_and_catches_a_regression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The shipped file lists 2.8.2's tag-list breaks: the gate passes. Without the entry of one of them
    # (as if 2.8.2 had just regressed there), the gate fails on exactly that check.
    shipped = REPO_ROOT / "conformance" / "expectations" / "distribution-2.8.2.toml"
    regressed = tmp_path / "regressed.toml"
    text = shipped.read_text()
    entry = f'\n[[expect]]\ncheck = "{N_CHECK}"\n'
    assert entry in text
    head, tail = text.split(entry, 1)
    regressed.write_text(head + "\n" + tail.split("\n\n", 1)[1])
    baseline = scaled_baseline(tmp_path, throughput=0.01, latency=100)  # can never regress
    registry = start_distribution()
    try:
        codes = {}
        for name, path in (("shipped", shipped), ("regressed", regressed)):
            codes[name] = cli_main(["gate", "--registry-url", registry.url, "--config", str(CONFIG),
                                    "--output-dir", str(tmp_path / name), "--baseline", str(baseline),
                                    "--registry-expectations", str(path), "--registry-expectations-strict"])
    finally:
        registry.stop()
    out = capsys.readouterr().out
    shipped_gate, regressed_gate = (check_run_folder(tmp_path / name) for name in ("shipped", "regressed"))
    assert codes["shipped"] == 0, out + json.dumps(shipped_gate["reasons"], indent=1)
    conformance = shipped_gate["steps"][0]
    assert conformance["status"] == "passed"
    block = conformance["details"]["expectations"]
    assert block["file"] == str(shipped) and block["unexpected"] == []
    assert block["expected_failures"] == conformance["details"]["counts"]["failed"] >= 5
    assert codes["regressed"] == 1
    failed = [reason.split(": ")[1] for reason in regressed_gate["steps"][0]["reasons"]
              if reason.startswith("failed: ")]
    assert failed == [N_CHECK], regressed_gate["reasons"]
