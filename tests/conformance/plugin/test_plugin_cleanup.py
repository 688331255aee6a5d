"""The `cleanup` fixture: deletes what a check pushed, stays inside the namespace, reports what it cannot."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from conformance import registries
from tests.conformance.plugin.plugin_runs import run_inner

pytest_plugins = ["pytester"]

CHECKS = '''
import pytest
from conformance.content import random_blob
from conformance.verdicts import note

@pytest.mark.push
def test_push_and_clean(client, repo, content, cleanup):
    blob = random_blob(content, 64)
    client.push_blob(repo, blob)
    cleanup.blob(repo, blob.digest)
    note(f"/v2/{repo}/blobs/{blob.digest}")

@pytest.mark.push
def test_outside_the_namespace(cleanup):
    cleanup.blob("somebody-else/repo", "sha256:" + "0" * 64)
'''


@pytest.fixture(scope="module")
def registry() -> Iterator[str]:
    with registries.start_reference_server() as process:
        yield process.url


@pytest.fixture(scope="module")
def registry_without_deletes() -> Iterator[str]:
    with registries.start_reference_server(extra_args=["--no-delete"]) as process:
        yield process.url


def test_pushed_blob_is_deleted_after_the_check(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, registry: str
) -> None:
    run = run_inner(pytester, monkeypatch, CHECKS, "--registry-url", registry)
    check = run.check("test_push_and_clean")
    assert check["outcome"] == "passed"
    path = check["notes"][0]
    assert httpx.head(registry + path, timeout=10).status_code == 404
    outside = run.check("test_outside_the_namespace")
    assert outside["outcome"] == "error"
    assert "cleanup of 'somebody-else/repo' refused: outside the run's namespace" in outside["message"]
    assert run.results["notes"] == []


def test_registry_that_cannot_delete_is_reported(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, registry_without_deletes: str
) -> None:
    run = run_inner(pytester, monkeypatch, CHECKS, "--registry-url", registry_without_deletes, "-k", "clean")
    check = run.check("test_push_and_clean")
    assert check["outcome"] == "passed"
    path = check["notes"][0]
    assert httpx.head(registry_without_deletes + path, timeout=10).status_code == 200
    assert any("answered 405: registry cannot delete" in note for note in check["notes"][1:])
    expected = ("cleanup: the registry cannot delete blobs (DELETE answered 405); "
                "content was left in the registry")
    assert run.results["notes"] == [expected]
    run.result.stdout.fnmatch_lines([f"note: {expected}"])


def test_no_delete_switch_leaves_content_and_says_so(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, registry: str
) -> None:
    run = run_inner(pytester, monkeypatch, CHECKS, "--registry-url", registry, "--no-delete", "-k", "clean")
    check = run.check("test_push_and_clean")
    assert httpx.head(registry + check["notes"][0], timeout=10).status_code == 200
    assert check["notes"][1] == "cleanup skipped: 1 blob(s) left in the registry (--no-delete)"
    assert run.results["notes"] == [
        "cleanup: blob deletes off (--no-delete); content was left in the registry"]
