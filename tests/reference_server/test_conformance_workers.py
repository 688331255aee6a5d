"""Acceptance: the whole conformance suite passes against the reference server with `--workers 2`, where
every request may land on either process and all state must come from the shared data directory.

The same run proves the ledger's runtime half: every rule a check's verdicts evaluated is one the check
declares (`@pytest.mark.rules`), and the reference server breaks none at fail or warn level."""

from __future__ import annotations

from pathlib import Path

from conformance.registries import start_reference_server
from tests.conformance.auth.auth_suite_runs import SUITES, run_suite

MODULES = sorted(path.stem.removeprefix("test_") for path in SUITES.glob("test_*.py"))


def test_whole_suite_passes_against_two_workers(tmp_path: Path) -> None:
    with start_reference_server(extra_args=["--workers", "2"]) as server:
        run = run_suite(server.url, MODULES, {}, tmp_path / "report", timeout=400)
    assert run.returncode == 0, run.output[-6000:]
    results = run.results
    assert results["verdict"] == "passed", run.output[-6000:]
    counts = results["counts"]
    assert counts["failed"] == counts["error"] == counts["warned"] == 0
    assert counts["passed"] > 200
    assert results["findings"]["fail"] == results["findings"]["warn"] == 0, results["findings"]
    undeclared = {
        check["nodeid"]: sorted(set(check["evaluated_rules"]) - set(check["rules"]))
        for check in results["checks"] if set(check["evaluated_rules"]) - set(check["rules"])
    }
    assert undeclared == {}, f"rules evaluated but not declared by the check: {undeclared}"
    advice = {check["nodeid"]: [item["rule"] for item in check["findings"]]
              for check in results["checks"] if check["findings"]}
    print(f"advice on the reference server: {advice}")
