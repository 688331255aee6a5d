"""--registry-expectations in a pytest run: expected failures do not fail it, regressions do, unexpected
passes are loud (and fail it under --registry-expectations-strict); results.json keeps the real outcomes."""

from __future__ import annotations

import pytest

import schemas
from tests.conformance.plugin.plugin_runs import InnerRun, run_inner

pytest_plugins = ["pytester"]

CHECKS = """
import pytest
from conformance.ledger.rules import pull
from conformance.verdicts import judge, unsupported

pytestmark = [pytest.mark.pull, pytest.mark.rules(pull.BLOB_GET_200)]

def test_known_failure():
    judge(pull.BLOB_GET_200, False, "blob GET answered 500")

def test_regression():
    judge(pull.BLOB_GET_200, False, "blob GET answered 404")

@pytest.mark.rules(pull.RANGE_SUPPORT)
def test_known_warning():
    judge(pull.RANGE_SUPPORT, False, "416 without Content-Range")

def test_fixed_upstream():
    judge(pull.BLOB_GET_200, True, "fine now")

def test_passes():
    judge(pull.BLOB_GET_200, True, "fine")

def test_optional():
    unsupported("no range support")
"""

EXPECTATIONS = """
[registry]
name = "an example registry"

[[expect]]
check = "test_checks.py::test_known_failure"
outcome = "failed"
reason = "answers 500 for every blob"
link = "https://example.invalid/issues/1"

[[expect]]
check = "test_checks.py::test_known_warning"
outcome = "warned"
reason = "no Content-Range on 416"

[[expect]]
check = "test_checks.py::test_fixed_upstream"
outcome = "failed"
reason = "was broken in 1.0"

[[expect]]
check = "test_checks.py::test_removed_long_ago"
outcome = "failed"
reason = "a check that no longer exists"
"""


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str) -> InnerRun:
    path = pytester.path / "known.toml"
    path.write_text(EXPECTATIONS, encoding="utf-8")
    return run_inner(pytester, monkeypatch, CHECKS, "--registry-expectations", str(path), "-rA", *args)


def test_expected_failures_pass_the_run_but_a_regression_fails_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _run(pytester, monkeypatch)
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED  # the regression
    results = run.results
    assert schemas.validate(results, "results") == []
    assert (results["verdict"], results["raw_verdict"]) == ("failed", "failed")
    known = run.check("test_known_failure")
    assert known["outcome"] == "failed"  # the real outcome is kept
    assert known["expectation"]["status"] == "expected"
    assert known["expectation"]["link"] == "https://example.invalid/issues/1"
    assert run.check("test_regression")["expectation"]["status"] == "unexpected-failure"
    assert run.check("test_fixed_upstream")["expectation"]["status"] == "unexpected-pass"
    assert run.check("test_known_warning")["expectation"]["status"] == "expected"
    assert run.check("test_optional")["expectation"]["status"] == "expected"
    block = results["expectations"]
    assert block["expected_failures"] == 1 and block["entries"] == 4
    assert {(item["check"], item["status"]) for item in block["unexpected"]} == {
        ("test_checks.py::test_regression", "unexpected-failure"),
        ("test_checks.py::test_fixed_upstream", "unexpected-pass"),
    }
    assert [entry["check"] for entry in block["stale"]] == ["test_checks.py::test_removed_long_ago"]
    output = run.result.stdout.str()
    assert "XFAIL" in output and "expected failure: answers 500 for every blob" in output
    assert "UNEXPECTED unexpected-pass: test_checks.py::test_fixed_upstream" in output
    assert "stale expectation (matches no check of this run): test_checks.py::test_removed_long_ago" in output


def test_without_the_regression_the_run_passes_and_says_what_changed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _run(pytester, monkeypatch, "-k", "not regression")
    assert run.result.ret == pytest.ExitCode.OK
    assert (run.results["verdict"], run.results["raw_verdict"]) == ("passed", "failed")
    assert "UNEXPECTED unexpected-pass" in run.result.stdout.str()
    page = (run.directory / "report.html").read_text()
    assert "UNEXPECTED unexpected-pass" in page and "answers 500 for every blob" in page


def test_strict_expectations_fail_an_unexpected_pass(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _run(pytester, monkeypatch, "-k", "not regression", "--registry-expectations-strict")
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED
    assert run.results["verdict"] == "failed"
    assert "UNEXPECTED (unexpected-pass)" in run.result.stdout.str()
    assert run.check("test_fixed_upstream")["outcome"] == "passed"  # still the real outcome


def test_a_bad_expectations_file_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = pytester.path / "bad.toml"
    path.write_text("[[expect]]\ncheck = 'x'\noutcome = 'maybe'\nreason = 'r'\n", encoding="utf-8")
    run = run_inner(pytester, monkeypatch, CHECKS, "--registry-expectations", str(path))
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert "outcome 'maybe' must be one of failed, warned, unsupported" in run.result.stderr.str()
