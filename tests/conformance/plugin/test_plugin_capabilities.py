"""Capabilities: findings recorded by checks and probes make later checks unsupported, and are reported."""

from __future__ import annotations

import pytest

from conformance import registries
from conformance.capabilities import Capabilities, Finding
from tests.conformance.plugin.plugin_runs import run_inner

pytest_plugins = ["pytester"]

CHECKS = '''
import pytest
from conformance.verdicts import note

@pytest.mark.content_discovery
def test_probe(referrers_supported, capabilities):
    note(f"referrers={referrers_supported}")
    capabilities.require("referrers")

@pytest.mark.push
def test_records(capabilities):
    capabilities.record("single_post", False, "POST ?digest= answered 202", evidence="POST ... -> 202")

@pytest.mark.push
def test_requires_after(capabilities):
    capabilities.require("single_post")
'''


def test_reference_server_supports_referrers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_inner(pytester, monkeypatch, CHECKS)
    assert run.check("test_probe")["outcome"] == "passed"
    assert run.check("test_probe")["notes"] == ["referrers=True"]
    assert run.check("test_requires_after")["outcome"] == "unsupported"
    message = run.check("test_requires_after")["message"]
    assert message == "unsupported: single_post: POST ?digest= answered 202"
    table = {row["name"]: row for row in run.results["capabilities"]}
    assert table["referrers"]["supported"] is True and table["referrers"]["source"] == "probe"
    assert table["referrers"]["evidence"].endswith("-> 200")
    assert table["single_post"] == {
        "name": "single_post", "supported": False, "reason": "POST ?digest= answered 202",
        "evidence": "POST ... -> 202", "source": "",
        "description": "monolithic upload in one POST ?digest= (201)",
    }


def test_distribution_lacks_referrers(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    if not registries.distribution_available():
        pytest.skip("docker-registry (distribution 2.8.2) is not installed; .ci/run installs it")
    env = {"REGISTRY_HARNESS_BUNDLED": "distribution"}
    run = run_inner(pytester, monkeypatch, CHECKS, "-k", "probe", env=env)
    check = run.check("test_probe")
    assert check["outcome"] == "unsupported"
    assert check["message"] == (
        "unsupported: referrers: the referrers API answered 404 for an existing manifest")
    assert check["notes"] == ["referrers=False"]


def test_first_finding_wins_and_inconclusive_probes_run_once() -> None:
    table = Capabilities()
    calls: list[str] = []

    def inconclusive() -> Finding | None:
        calls.append("probe")
        return None

    assert table.ensure("mount", inconclusive) is None
    assert table.ensure("mount", inconclusive) is None
    assert calls == ["probe"] and table.supported("mount") is None
    table.require("mount")  # unknown: the check goes on
    table.record("mount", True, "201 Created")
    table.record("mount", False, "202 Accepted")
    assert table.supported("mount") is True
    assert table.merge([{"name": "range_requests", "supported": False, "reason": "200 instead of 206"},
                        {"name": "mount", "supported": False, "reason": "202 Accepted"}]) == [
        "capability mount: workers disagree ('201 Created' vs '202 Accepted')"]
    with pytest.raises(pytest.skip.Exception, match="unsupported: range_requests: 200 instead of 206"):
        table.require("range_requests")
