"""Acceptance: the whole conformance suite passes against the reference server with `--workers 2`, where
every request may land on either process and all state must come from the shared data directory."""

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
