"""The `cleanup` fixture and the run's cleanup ledger: deleted, or left with the reason, never a failure.

Inner pytest runs against real registries on loopback: the bundled reference server (deletes on, and
started with --no-delete: 405 UNSUPPORTED), Debian's distribution 2.8.2 without storage.delete, and two
pytest-xdist workers whose ledgers the controller merges.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conformance import registries
from conformance.cleanup_ledger import DISTRIBUTION_HINT, SWITCHED_OFF_HINT
from conformance.content import image_manifest
from conformance.fixtures import PROBE_REPOSITORY
from conformance.reporting.validation import validate_results
from tests.conformance.plugin.plugin_runs import InnerRun, clean_environment, run_inner

pytest_plugins = ["pytester"]

CHECKS = '''
import pytest
from conformance.content import image_manifest, random_blob
from conformance.verdicts import note

@pytest.mark.push
def test_push_and_clean(client, repo, content, cleanup):
    blob = random_blob(content, 64)
    client.push_blob(repo, blob)
    cleanup.blob(repo, blob.digest)
    cleanup.blob(repo, blob.digest)  # twice: registered once
    note(f"/v2/{repo}/blobs/{blob.digest}")

@pytest.mark.push
def test_push_tagged_image(client, repo, content, cleanup):
    image = image_manifest(content, layer_size=32)
    client.push_image(repo, image, tag="v1")
    for blob in image.blobs_to_push:
        cleanup.blob(repo, blob.digest)
    cleanup.manifest(repo, image.digest)
    cleanup.tag(repo, "v1")
    note(f"/v2/{repo}/manifests/v1")

@pytest.mark.push
def test_outside_the_namespace(cleanup):
    cleanup.blob("somebody-else/repo", "sha256:" + "0" * 64)
'''
PUSHED = {"tag": 1, "manifest": 1, "blob": 3, "total": 5}  # the image: config + one layer; one loose blob
NOTHING = {"tag": 0, "manifest": 0, "blob": 0, "total": 0}


@pytest.fixture(scope="module")
def registry() -> Iterator[str]:
    with registries.start_reference_server() as process:
        yield process.url


@pytest.fixture(scope="module")
def registry_without_deletes() -> Iterator[str]:
    with registries.start_reference_server(extra_args=["--no-delete"]) as process:
        yield process.url


def _leftovers(run: InnerRun) -> list[dict[str, Any]]:
    block = run.results["cleanup"]
    return [dict(item, repository=repository["repository"])
            for repository in block["repositories"] for item in repository["left"]]


def _html(run: InnerRun) -> str:
    return (run.directory / "report.html").read_text()


def test_a_normal_run_deletes_everything_and_leaves_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, registry: str
) -> None:
    run = run_inner(pytester, monkeypatch, CHECKS, "--registry-url", registry)
    check = run.check("test_push_and_clean")
    assert check["outcome"] == "passed"
    assert check["notes"] == [check["notes"][0]]  # nothing about cleanup
    assert httpx.head(registry + check["notes"][0], timeout=10).status_code == 404
    tagged = run.check("test_push_tagged_image")
    assert httpx.head(registry + tagged["notes"][0], timeout=10).status_code == 404
    outside = run.check("test_outside_the_namespace")
    assert outside["outcome"] == "error"
    assert "cleanup of 'somebody-else/repo' refused: outside the run's namespace" in outside["message"]
    block = run.results["cleanup"]
    assert block == {"registered": PUSHED, "deleted": PUSHED, "left": NOTHING, "repositories": [],
                     "hint": None}
    assert run.results["notes"] == []
    assert 'id="leftovers"' not in _html(run)
    assert "cleanup:" not in run.result.stdout.str()


def test_no_delete_lists_every_pushed_thing_as_left_because_deletes_are_switched_off(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, registry: str
) -> None:
    run = run_inner(pytester, monkeypatch, CHECKS, "--registry-url", registry, "--no-delete", "-k", "push")
    check = run.check("test_push_and_clean")
    assert check["outcome"] == "passed"
    assert httpx.head(registry + check["notes"][0], timeout=10).status_code == 200
    assert check["notes"][1:] == [
        "cleanup: 1 blob(s) left in the registry (deletes switched off (--no-delete))"]
    block = validate_results(run.results)["cleanup"]
    assert block["registered"] == PUSHED and block["left"] == PUSHED and block["deleted"] == NOTHING
    left = _leftovers(run)
    assert len(left) == 5 and len(block["repositories"]) == 2
    assert {item["cause"] for item in left} == {"switched-off"}
    assert {item["reason"] for item in left} == {"deletes switched off (--no-delete)"}
    assert all(item["status"] is None and item["error_code"] is None for item in left)
    tagged = [item for item in left if item["check"].endswith("::test_push_tagged_image")]
    assert sorted(str(item["kind"]) for item in tagged) == ["blob", "blob", "manifest", "tag"]
    assert [item["reference"] for item in tagged if item["kind"] == "tag"] == ["v1"]
    assert block["hint"] == SWITCHED_OFF_HINT + DISTRIBUTION_HINT
    run.result.stdout.fnmatch_lines(["cleanup: 5 left in 2 repositories (see results.json cleanup)"])
    page = _html(run)
    assert 'id="leftovers"' in page and "Left in the registry" in page
    assert all(repository["repository"] in page for repository in block["repositories"])


def test_a_registry_that_refuses_deletes_is_listed_with_status_and_code(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, registry_without_deletes: str
) -> None:
    run = run_inner(pytester, monkeypatch, CHECKS, "--registry-url", registry_without_deletes, "-k", "push")
    assert run.check("test_push_and_clean")["outcome"] == "passed"
    assert run.check("test_push_tagged_image")["outcome"] == "passed"
    block = validate_results(run.results)["cleanup"]
    assert block["left"] == PUSHED and block["deleted"] == NOTHING
    left = _leftovers(run)
    assert {(item["cause"], item["status"], item["error_code"]) for item in left} == {
        ("refused", 405, "UNSUPPORTED")}
    assert {item["kind"]: item["reason"] for item in left}["blob"] == (
        "the registry refused the blob DELETE: 405 UNSUPPORTED (deletes disabled or unsupported)")
    assert block["hint"] == DISTRIBUTION_HINT
    assert run.results["notes"] == []
    check = run.check("test_push_and_clean")
    assert check["notes"][1:] == ["cleanup: 1 blob(s) left in the registry (the registry refused the blob "
                                  "DELETE: 405 UNSUPPORTED (deletes disabled or unsupported))"]
    run.result.stdout.fnmatch_lines(["cleanup: 5 left in 2 repositories (see results.json cleanup)"])
    assert "405 UNSUPPORTED" in _html(run)


@pytest.mark.skipif(not registries.distribution_available(), reason="docker-registry 2.8.2 is not installed")
def test_distribution_without_storage_delete_answers_405_and_everything_is_left(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    with registries.start_distribution(delete=False) as process:
        run = run_inner(pytester, monkeypatch, CHECKS, "--registry-url", process.url, "-k", "push")
    block = validate_results(run.results)["cleanup"]
    assert block["registered"] == PUSHED and block["left"] == PUSHED
    assert {(item["cause"], item["status"], item["error_code"]) for item in _leftovers(run)} == {
        ("refused", 405, "UNSUPPORTED")}
    assert run.check("test_push_tagged_image")["outcome"] == "passed"


def test_a_tag_left_alone_goes_with_its_manifest(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, registry: str
) -> None:
    run = run_inner(pytester, monkeypatch, CHECKS, "--registry-url", registry, "--no-tag-delete",
                    "-k", "tagged")
    tagged = run.check("test_push_tagged_image")
    assert httpx.head(registry + tagged["notes"][0], timeout=10).status_code == 404
    block = run.results["cleanup"]
    assert block["left"] == NOTHING and block["deleted"] == {"tag": 1, "manifest": 1, "blob": 2, "total": 4}


PROPERTY_CHECK = '''
import pytest
from conformance.checks.properties import PropertyRun, property_client_fixture
from conformance.content import random_blob

@pytest.mark.push
def test_property_examples(property_client, registry_config, capabilities, content):
    run = PropertyRun(property_client, registry_config, capabilities, "examples")
    for _ in range(2):
        with run.example() as example:
            blob = random_blob(content, 32)
            example.client.push_blob(example.repo, blob)
            example.cleanup.blob(example.repo, blob.digest)
'''


def test_property_examples_record_into_the_ledger(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, registry: str
) -> None:
    run = run_inner(pytester, monkeypatch, PROPERTY_CHECK, "--registry-url", registry, "--no-blob-delete")
    check = run.check("test_property_examples")
    assert check["outcome"] == "passed"
    assert check["notes"] == [
        "cleanup: blob(s) left in the registry (deletes switched off (--no-blob-delete))"]
    left = _leftovers(run)
    assert len(left) == 2 and {item["check"] for item in left} == {check["nodeid"]}


XDIST_CHECKS = '''
import os
import pytest
from conformance.content import random_blob
from conformance.verdicts import note

@pytest.mark.push
@pytest.mark.parametrize("number", range(4))
def test_push(client, repo, content, cleanup, number):
    blob = random_blob(content, 16 + number)
    client.push_blob(repo, blob)
    cleanup.blob(repo, blob.digest)
    note(os.environ["PYTEST_XDIST_WORKER"])
'''


def test_two_xdist_workers_merge_their_ledgers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, registry_without_deletes: str
) -> None:
    clean_environment(monkeypatch, {"DOCKER_CONFIG": str(pytester.path / "no-docker-config")})
    pytester.makepyfile(test_checks=XDIST_CHECKS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--registry-report-dir",
                                           "out", "--registry-url", registry_without_deletes)
    result.assert_outcomes(passed=4)
    results = validate_results(json.loads((pytester.path / "out" / "results.json").read_text()))
    block = results["cleanup"]
    assert block["registered"]["blob"] == 4 and block["left"]["blob"] == 4
    assert len(block["repositories"]) == 4
    worker_of = {check["nodeid"]: check["notes"][0] for check in results["checks"]}
    assert set(worker_of.values()) == {"gw0", "gw1"}  # both workers pushed, and reported leftovers
    checks = {item["check"] for repository in block["repositories"] for item in repository["left"]}
    assert checks == set(worker_of)
    result.stdout.fnmatch_lines(["cleanup: 4 left in 4 repositories (see results.json cleanup)"])


PROBE_USER = '''
import pytest

@pytest.mark.pull
def test_uses_the_probe(referrers_supported):
    assert referrers_supported is True
'''


@pytest.mark.parametrize("switch", [None, "--no-delete"])
def test_the_referrers_probe_image_is_deleted_at_the_end_or_listed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, registry: str, switch: str | None
) -> None:
    switches = [switch] if switch else []
    run = run_inner(pytester, monkeypatch, PROBE_USER, "--registry-url", registry, *switches)
    assert run.check("test_uses_the_probe")["outcome"] == "passed"
    block = validate_results(run.results)["cleanup"]
    assert block["registered"] == {"tag": 0, "manifest": 1, "blob": 2, "total": 3}
    namespace = run.results["config"]["namespace"]
    digest = image_manifest(random.Random(PROBE_REPOSITORY), layer_size=16).digest  # what the probe pushes
    probe = httpx.head(f"{registry}/v2/{namespace}/{PROBE_REPOSITORY}/manifests/{digest}", timeout=10)
    if switch is None:
        assert block["left"]["total"] == 0 and probe.status_code == 404
        return
    assert probe.status_code == 200
    assert [repository["repository"] for repository in block["repositories"]] == [
        f"{namespace}/capability-probe"]
    assert {item["check"] for item in _leftovers(run)} == {"(session) referrers capability probe"}
    assert {item["cause"] for item in _leftovers(run)} == {"switched-off"}
