"""The expectations file in a pytest run: load it at configure, judge each check, summarise at the end.

`apply_expectation` runs in the plugin's makereport hook on the phase that decides a check's outcome (the
call, or a setup that did not pass). The real outcome stays in the verdict payload; the pytest report is
adjusted so that pytest's exit status follows the expectations:

- an expected failure becomes an xfail (pytest shows it as XFAIL, the run does not fail);
- with `--registry-expectations-strict`, any other unexpected status (an unexpected pass, a new warning, a
  changed verdict) becomes a failure of the check ("UNEXPECTED" in the terminal);
- an unexpected failure stays what it is: a failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest

from conformance.expectations.file import ExpectationsError, ExpectationsFile, check_id, load_expectations
from conformance.expectations.matching import judge_expectation
from conformance.verdicts import Outcome

if TYPE_CHECKING:
    from conformance.options import RunConfig
    from conformance.results import CheckResult

KINDS = ("expected", "unexpected-failure", "unexpected-pass", "unexpected-warning", "changed")


def load_run_expectations(run_config: RunConfig) -> ExpectationsFile | None:
    """The run's expectations file, or None; a file that cannot be used is a usage error."""
    if run_config.expectations is None:
        return None
    try:
        return load_expectations(run_config.expectations)
    except ExpectationsError as exc:
        raise pytest.UsageError(str(exc)) from None


def _decides_outcome(when: str, outcome: str) -> bool:
    return when == "call" or (when == "setup" and outcome != Outcome.PASSED)


def apply_expectation(
    report: pytest.TestReport,
    when: str,
    payload: dict[str, Any],
    expectations: ExpectationsFile,
    strict: bool,
) -> None:
    """Judge the check against its entry; record the verdict in `payload`, adjust `report` (module doc)."""
    if not _decides_outcome(when, payload["outcome"]):
        return
    entry = expectations.find(check_id(report.nodeid))
    verdict = judge_expectation(payload["outcome"], entry)
    payload["expectation"] = verdict.as_json()
    if verdict.expected_failure and report.failed and entry is not None:
        report.outcome = "skipped"
        report.wasxfail = f"expected failure: {entry.reason}"
    elif verdict.fails_run(strict=strict) and not report.failed:
        report.outcome = "failed"
        report.longrepr = (f"UNEXPECTED ({verdict.kind}): {expectations.path} expects {verdict.expected}, "
                           f"the check ended {verdict.actual}")
        payload["expectation_failed"] = True


def expectations_summary(
    expectations: ExpectationsFile | None, checks: Sequence[CheckResult], strict: bool
) -> dict[str, Any] | None:
    """The `expectations` block of results.json: the file, counts per status, unexpected and stale entries."""
    if expectations is None:
        return None
    counts = dict.fromkeys(KINDS, 0)
    unexpected = []
    for check in checks:
        verdict = check.expectation
        if verdict is None:
            continue
        counts[verdict["status"]] += 1
        if verdict["status"] != "expected":
            unexpected.append({"check": check_id(check.nodeid), "expected": verdict["expected"],
                               "actual": check.outcome, "status": verdict["status"]})
    stale = expectations.stale(check_id(check.nodeid) for check in checks)
    return {
        "file": str(expectations.path),
        "registry": dict(expectations.registry),
        "strict": strict,
        "entries": len(expectations.entries),
        "counts": counts,
        "expected_failures": sum(
            1 for check in checks
            if check.expectation and check.expectation["status"] == "expected" and check.outcome == "failed"
        ),
        "unexpected": unexpected,
        "stale": [{"check": entry.check, "outcome": entry.outcome, "reason": entry.reason}
                  for entry in stale],
    }
