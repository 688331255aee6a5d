"""The run's request limits and namespace guard through the plugin: inner runs against the bundled server.

A spent `--registry-max-requests` and a write outside the namespace are errors of the check (the harness
stopped the request), never failures or skips; the rate cap shows in results.json and a run note.
"""

from __future__ import annotations

import pytest

import schemas
from tests.conformance.plugin.plugin_runs import run_inner

pytest_plugins = ["pytester"]

CHECKS = '''
def test_a_write_outside_the_namespace(client):
    client.upload_start("elsewhere/repository")

def test_first(client):
    assert client.ping().status_code == 200

def test_second(client):
    assert client.ping().status_code == 200

def test_third(client):
    assert client.ping().status_code == 200
'''


def test_a_spent_request_budget_makes_errors_naming_the_option(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_inner(pytester, monkeypatch, CHECKS, "--registry-max-requests", "2", "-p", "no:randomly")
    outcomes = {check["name"]: check["outcome"] for check in run.results["checks"]}
    # the session's GET /v2/ is request 1, test_first's ping request 2; the guard sends nothing
    assert outcomes == {"test_a_write_outside_the_namespace": "error", "test_first": "passed",
                        "test_second": "error", "test_third": "error"}
    for name in ("test_second", "test_third"):
        check = run.check(name)
        assert check["message"].startswith("RequestLimitError: ")
        assert "--registry-max-requests" in check["message"]
        case = run.junit_case(name)
        assert case.find("error") is not None
        assert case.find("failure") is None and case.find("skipped") is None
    outside = run.check("test_a_write_outside_the_namespace")["message"]
    assert outside.startswith("WriteOutsideNamespace: ") and "elsewhere/repository" in outside
    assert run.results["requests"] == {"sent": 2, "max_rps": None, "max_requests": 2, "waited": 0,
                                       "waited_seconds": 0.0, "refused": 2}
    assert run.results["config"]["max_requests"] == 2
    assert any(note.startswith("request limits: 2 request(s) not sent") for note in run.results["notes"])
    assert schemas.validate(run.results, "results") == []
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED


PINGS = '''
def test_pings(client):
    for _ in range(10):
        assert client.ping().status_code == 200
'''


def test_the_rate_cap_from_the_environment_shows_in_the_results(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_inner(pytester, monkeypatch, PINGS, env={"REGISTRY_HARNESS_MAX_RPS": "40"})
    assert run.check("test_pings")["outcome"] == "passed"
    block = run.results["requests"]
    assert block["sent"] == 11 and block["max_rps"] == 40.0 and block["waited"] >= 9
    assert run.results["config"]["max_rps"] == 40.0
    assert run.results["config"]["sources"]["max_rps"] == "REGISTRY_HARNESS_MAX_RPS"
    assert any("waited for the rate cap (--registry-max-rps 40)" in note for note in run.results["notes"])
    assert schemas.validate(run.results, "results") == []


def test_a_limit_must_be_a_positive_number(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_inner(pytester, monkeypatch, PINGS, "--registry-max-rps", "0", report_dir=None)
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stderr.fnmatch_lines(["*--registry-max-rps*above 0*"])
