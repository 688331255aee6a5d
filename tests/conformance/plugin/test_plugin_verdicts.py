"""The verdict model end to end: each kind of check body ends in the right outcome, in every report."""

from __future__ import annotations

import pytest

import schemas
from conformance.ledger.rules import pull
from tests.conformance.plugin.plugin_runs import InnerRun, run_inner

pytest_plugins = ["pytester"]

CHECKS = '''
import pytest
from conformance.client import SetupFailed
from conformance.ledger.rules import pull
from conformance.verdicts import HarnessError, MustViolation, judge, note, unsupported

@pytest.fixture
def refused_setup():
    raise SetupFailed("setup failed: pushing blob: 403 DENIED")

@pytest.fixture
def broken_fixture():
    raise RuntimeError("bug in a fixture")

@pytest.mark.rules(pull.MANIFEST_GET_200, pull.BLOB_GET_200)
@pytest.mark.pull
def test_passes():
    judge(pull.MANIFEST_GET_200, True, "never shown")
    note("informational only")

@pytest.mark.rules(pull.BLOB_GET_200)
@pytest.mark.push
def test_must_violation():
    judge(pull.BLOB_GET_200, 1 == 2, "blob GET answered 500, expected 200")

@pytest.mark.pull
def test_plain_assert():
    assert 1 == 2, "plain assert counts as a MUST"

@pytest.mark.rules(pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH)
@pytest.mark.push
def test_should_violation():
    held = judge(pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH, False, "Content-Type is not the pushed type")
    assert held is False
    note("still ran after the warning")

@pytest.mark.content_discovery
def test_unsupported():
    unsupported("referrers API answered 404")

@pytest.mark.pull
def test_harness_error():
    raise HarnessError("builder produced an invalid manifest")

@pytest.mark.pull
def test_unexpected_exception():
    {}["missing"]

@pytest.mark.push
def test_setup_refused(refused_setup):
    pass

@pytest.mark.push
def test_fixture_bug(broken_fixture):
    pass

@pytest.mark.feature("referrers")
@pytest.mark.content_discovery
def test_switched_off():
    raise AssertionError("must not run")

@pytest.mark.feature("no_such_feature")
def test_unknown_feature():
    pass

@pytest.mark.properties
@pytest.mark.pull
def test_group_of_failures():
    raise ExceptionGroup("two distinct failures", [MustViolation("first"), AssertionError("second")])

@pytest.mark.pull
def test_group_with_a_bug():
    raise ExceptionGroup("a failure and a bug", [MustViolation("first"), KeyError("oops")])

@pytest.mark.pull
def test_plain_skip():
    pytest.skip("for another reason")
'''

EXPECTED = {
    "test_passes": "passed",
    "test_must_violation": "failed",
    "test_plain_assert": "failed",
    "test_should_violation": "warned",
    "test_unsupported": "unsupported",
    "test_harness_error": "error",
    "test_unexpected_exception": "error",
    "test_setup_refused": "failed",
    "test_fixture_bug": "error",
    "test_switched_off": "disabled",
    "test_unknown_feature": "error",
    "test_plain_skip": "skipped",
    "test_group_of_failures": "failed",
    "test_group_with_a_bug": "error",
}


@pytest.fixture
def mixed_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> InnerRun:
    return run_inner(pytester, monkeypatch, CHECKS, "--no-referrers", "-ra")


def test_each_kind_of_check_gets_its_outcome_message_and_metadata(mixed_run: InnerRun) -> None:
    outcomes = {check["name"]: check["outcome"] for check in mixed_run.results["checks"]}
    assert outcomes == EXPECTED
    assert mixed_run.results["counts"] == {
        "passed": 1, "warned": 1, "failed": 4, "error": 5, "unsupported": 1, "disabled": 1, "skipped": 1,
        "total": 14, "advised": 0,
    }
    assert mixed_run.results["verdict"] == "error"
    assert schemas.validate(mixed_run.results, "results") == []
    assert mixed_run.result.ret == pytest.ExitCode.TESTS_FAILED
    failed = mixed_run.check("test_must_violation")
    assert failed["message"].startswith("MustViolation: blob GET answered 500, expected 200\n")
    assert pull.BLOB_GET_200.quote[:40] in failed["message"], "the failure quotes its rule"
    assert failed["spec_refs"] == ["spec.md#pulling-blobs"] and failed["rules"] == ["blob-get-200"]
    assert [(f["level"], f["rule"]) for f in failed["findings"]] == [("fail", "blob-get-200")]
    assert failed["categories"] == ["push"]
    passed = mixed_run.check("test_passes")
    assert passed["spec_refs"] == ["spec.md#pulling-blobs", "spec.md#pulling-manifests"]
    assert passed["level"] == "MUST" and passed["findings"] == []
    assert passed["evaluated_rules"] == ["manifest-get-200"]
    assert passed["notes"] == ["informational only"]
    warned = mixed_run.check("test_should_violation")
    [warning] = warned["warnings"]
    assert warning.startswith("Content-Type is not the pushed type\n")
    assert pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH.quote[:40] in warning
    assert [(f["level"], f["rule"]) for f in warned["findings"]] == [
        ("warn", "manifest-content-type-matches-push")]
    assert warned["notes"] == ["still ran after the warning"]
    assert mixed_run.check("test_unsupported")["message"] == "unsupported: referrers API answered 404"
    disabled = mixed_run.check("test_switched_off")
    assert disabled["message"] == "disabled: feature referrers switched off (--no-referrers)"
    assert disabled["features"] == ["referrers"]
    assert "unknown switch(es) ['no_such_feature']" in mixed_run.check("test_unknown_feature")["message"]
    refused = mixed_run.check("test_setup_refused")
    assert "SetupFailed: setup failed: pushing blob: 403 DENIED" in refused["message"]


def test_reports_and_terminal_show_each_outcome(mixed_run: InnerRun) -> None:
    def children(name: str) -> list[str]:
        return [child.tag for child in mixed_run.junit_case(name) if child.tag != "properties"]

    assert children("test_passes") == ["system-out"]  # its note
    assert children("test_must_violation") == ["failure", "system-out"]  # the broken rule with its quote
    assert children("test_setup_refused") == ["failure", "system-out"]  # the category-claim rule it broke
    assert children("test_harness_error") == ["error"]
    assert children("test_fixture_bug") == ["error"]
    assert children("test_unsupported") == ["skipped"]
    assert children("test_switched_off") == ["skipped"]
    assert children("test_should_violation") == ["system-out"]
    skipped = mixed_run.junit_case("test_unsupported").find("skipped")
    assert skipped is not None and skipped.get("message") == "unsupported: referrers API answered 404"
    assert skipped.get("type") == "unsupported"
    failure = mixed_run.junit_case("test_must_violation").find("failure")
    assert failure is not None and "blob GET answered 500" in (failure.text or "")
    broken = mixed_run.junit_case("test_must_violation").find("system-out")
    assert broken is not None and "Broken rules:\n  - [fail] blob GET answered 500" in (broken.text or "")
    out = mixed_run.junit_case("test_should_violation").find("system-out")
    assert out is not None and "Content-Type is not the pushed type" in (out.text or "")
    spec_properties = [prop.get("value") for prop in mixed_run.junit_case("test_passes").iter("property")
                       if prop.get("name") == "spec"]
    assert spec_properties == ["spec.md#pulling-blobs", "spec.md#pulling-manifests"]
    root = mixed_run.junit
    totals = (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped"))
    assert totals == ("14", "4", "5", "3")
    mixed_run.result.stdout.fnmatch_lines([
        "*registry-harness conformance*",
        "conformance verdict: ERROR: 1 passed, 4 failed, 1 warned, 1 unsupported, 2 skipped, 5 errors",
        f"reports: {mixed_run.directory}",
    ])
    mixed_run.result.stdout.fnmatch_lines([
        "SKIPPED*unsupported: referrers API answered 404",
        "SKIPPED*disabled: feature referrers switched off (--no-referrers)",
        "ERROR test_checks.py::test_harness_error - conformance.verdicts.HarnessError*",
        "FAILED test_checks.py::test_must_violation - conformance.verdicts.MustViolati*",
        "FAILED test_checks.py::test_setup_refused - conformance.client.errors.SetupFa*",
    ])
    mixed_run.result.assert_outcomes(passed=2, failed=4, skipped=3, errors=5, warnings=1)


def test_should_violation_fails_under_strict(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = '''
import pytest
from conformance.ledger.rules import pull
from conformance.verdicts import judge, note

@pytest.mark.rules(pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH)
@pytest.mark.push
def test_should_violation():
    judge(pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH, False, "Content-Type is not the pushed type")
    note("reached only when the warning did not stop the check")
'''
    lenient = run_inner(pytester, monkeypatch, source)
    assert lenient.check("test_should_violation")["outcome"] == "warned"
    assert lenient.check("test_should_violation")["notes"] == [
        "reached only when the warning did not stop the check"
    ]
    assert lenient.result.ret == pytest.ExitCode.OK
    strict = run_inner(pytester, monkeypatch, source, "--registry-strict")
    check = strict.check("test_should_violation")
    assert check["outcome"] == "failed"
    assert check["message"].startswith("ShouldViolation: Content-Type is not the pushed type\n")
    assert pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH.quote[:40] in check["message"]
    assert check["notes"] == []
    assert strict.result.ret == pytest.ExitCode.TESTS_FAILED
