"""Registries without the referrers API (issue 13): the real referrers suites behind the proxy's faults.

- API hidden (`HideReferrersApi`): nothing fails; the mechanism is "fallback", client-maintained; the API
  checks end unsupported, the client-side fallback checks pass, the registry-maintained one is unsupported.
- API hidden and the tag kept by the proxy (`MaintainReferrersTag`): nothing fails; "fallback",
  registry-maintained; the registry-maintained check passes, the client checks end unsupported. With the
  annotations left out of its descriptors, that check records advice (no keyword binds what it writes).
- API hidden and the tag refused (`RefuseReferrersTag`): "neither", and the client checks fail on the
  manifest push MUST.
- The bare reference server: "api", and every fallback check ends unsupported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.registries import RegistryProcess, start_reference_server
from tests.conformance.broken.proxy import Fault, FaultProxy
from tests.conformance.broken.referrers_faults import (
    HideReferrersApi,
    MaintainReferrersTag,
    RefuseReferrersTag,
)
from tests.conformance.broken.suite_runs import SuiteRun, run_suite

MODULES = ["test_referrers.py", "test_referrers_fallback.py"]
FALLBACK = "test_referrers_fallback.py::"
CLIENT_CHECKS = [f"{FALLBACK}test_referrers_tag_index_is_stored_and_served_byte_for_byte",
                 f"{FALLBACK}test_referrers_tag_takes_a_second_referrer_and_is_listed",
                 f"{FALLBACK}test_referrers_tag_of_a_subject_pushed_after_its_referrer"]
REGISTRY_CHECK = f"{FALLBACK}test_registry_maintained_referrers_tag_lists_each_referrer"


@pytest.fixture(scope="module")
def upstream() -> Iterator[RegistryProcess]:
    with start_reference_server() as process:
        yield process


def _run(upstream: RegistryProcess, faults: list[Fault], path: Path) -> SuiteRun:
    with FaultProxy(upstream.url, faults) as proxy:
        return run_suite(proxy.url, MODULES, path, timeout=30.0)


def _mechanism(run: SuiteRun) -> dict[str, Any]:
    rows: dict[str, dict[str, Any]] = {row["name"]: row for row in run.results["capabilities"]}
    return rows["referrers_mechanism"]


def _api_checks_unsupported(run: SuiteRun) -> None:
    api = {key: outcome for key, outcome in run.outcomes.items() if key.startswith("test_referrers.py::")
           and "oci_subject" not in key}
    assert api and set(api.values()) == {"unsupported"}, api
    subject_header = "test_referrers.py::test_subject_push_answers_oci_subject_exactly_when_the_api_exists"
    assert run.outcomes[subject_header] == "passed"


def test_hidden_api_is_the_client_maintained_fallback(upstream: RegistryProcess, tmp_path: Path) -> None:
    run = _run(upstream, [HideReferrersApi()], tmp_path / "run")
    assert run.results["counts"]["failed"] == run.results["counts"]["error"] == 0, run.failed
    assert run.results["counts"]["warned"] == 0
    row = _mechanism(run)
    assert row["value"] == "fallback" and row["supported"] is True
    assert row["reason"].startswith("fallback: client-maintained: no referrers API; the registry stored")
    assert "/referrers/sha256:" in row["evidence"] and "-> 404" in row["evidence"]
    assert {key: run.outcomes[key] for key in CLIENT_CHECKS} == dict.fromkeys(CLIENT_CHECKS, "passed")
    assert run.outcomes[REGISTRY_CHECK] == "unsupported"
    assert "does not maintain the referrers tag" in run.message(REGISTRY_CHECK)
    _api_checks_unsupported(run)
    assert run.results["cleanup"]["left"]["total"] == 0


def test_proxy_maintained_tag_is_the_registry_maintained_fallback(
    upstream: RegistryProcess, tmp_path: Path
) -> None:
    fault = MaintainReferrersTag(upstream.url)
    run = _run(upstream, [fault], tmp_path / "run")
    assert run.results["counts"]["failed"] == run.results["counts"]["error"] == 0, run.failed
    assert run.results["counts"]["warned"] == 0
    row = _mechanism(run)
    assert row["value"] == "fallback"
    assert row["reason"].startswith("fallback: registry-maintained: no referrers API; after a referrer")
    assert run.outcomes[REGISTRY_CHECK] == "passed"
    assert run.checks[REGISTRY_CHECK]["findings"] == []
    for key in CLIENT_CHECKS:
        assert run.outcomes[key] == "unsupported", key
        assert "the registry maintains the referrers tag" in run.message(key)
    assert fault.updates >= 4
    _api_checks_unsupported(run)


def test_a_registry_maintained_tag_without_annotations_is_advice(
    upstream: RegistryProcess, tmp_path: Path
) -> None:
    run = _run(upstream, [MaintainReferrersTag(upstream.url, drop_annotations=True)], tmp_path / "run")
    assert run.results["counts"]["failed"] == run.results["counts"]["error"] == 0, run.failed
    check = run.checks[REGISTRY_CHECK]
    assert check["outcome"] == "passed"
    levels = {(finding["level"], finding["rule"]) for finding in check["findings"]}
    assert levels == {("advice", "tag-schema-registry-maintained")}
    assert any("lacks the referrer's annotations" in finding["message"] for finding in check["findings"])


def test_a_refused_referrers_tag_is_neither_and_fails_the_push(
    upstream: RegistryProcess, tmp_path: Path
) -> None:
    run = _run(upstream, [RefuseReferrersTag()], tmp_path / "run")
    row = _mechanism(run)
    assert row["value"] == "neither" and row["supported"] is False
    assert "refused the referrers tag index: PUT sha256-" in row["reason"]
    for key in CLIENT_CHECKS:
        assert run.outcomes[key] == "failed", key
        rules = {finding["rule"] for finding in run.checks[key]["findings"] if finding["level"] == "fail"}
        assert rules == {"manifest-put-201"}, (key, rules)


def test_the_reference_server_has_the_api_and_no_fallback_checks(
    upstream: RegistryProcess, tmp_path: Path
) -> None:
    run = run_suite(upstream.url, MODULES, tmp_path / "run", timeout=30.0)
    assert run.results["counts"]["failed"] == run.results["counts"]["error"] == 0, run.failed
    row = _mechanism(run)
    assert row["value"] == "api" and row["reason"] == "api: the referrers API answered 200"
    fallback = {key: outcome for key, outcome in run.outcomes.items() if key.startswith(FALLBACK)}
    assert len(fallback) == 4 and set(fallback.values()) == {"unsupported"}, fallback
    for key in fallback:
        assert "the registry has the referrers API; the fallback is for registries without it" in \
            run.message(key)
