"""The namespace guard (`conformance.client.namespaces`) against the reference server on loopback.

A write outside the run's namespaces is refused before anything is sent: the transcript holds nothing,
the request budget counted nothing, and the registry does not have what the write would have made.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.cleanup import Cleanup
from conformance.client import (
    RegistryClient,
    Transcript,
    WriteOutsideNamespace,
    WriteScope,
    inside_namespaces,
)
from conformance.client.quota import RUN_REQUESTS
from conformance.content import image_manifest
from conformance.registries import RegistryProcess, start_reference_server
from conformance.verdicts import HarnessError

NAMESPACE = "conformance/run1"
SCOPE = WriteScope.of(NAMESPACE, "mounts/src")


@pytest.fixture(scope="module")
def registry() -> Iterator[RegistryProcess]:
    process = start_reference_server()
    yield process
    process.stop()


@pytest.mark.parametrize(("repository", "inside"), [
    ("conformance/run1", True),
    ("conformance/run1/check-abc", True),
    ("mounts/src/check-src-1", True),
    ("conformance/run1/a/../b", True),
    ("conformance/run10/check", False),
    ("conformance/run1/../other", False),
    ("conformance/run1/./../../x", False),
    ("conformance", False),
    ("library/busybox", False),
    ("../conformance/run1", False),
])
def test_inside_the_namespaces(repository: str, inside: bool) -> None:
    assert inside_namespaces(repository, SCOPE.namespaces) is inside


def test_cleanup_uses_the_same_definition() -> None:
    cleanup = Cleanup(NAMESPACE, None)
    cleanup.blob(f"{NAMESPACE}/a/../b", "sha256:" + "0" * 64)
    with pytest.raises(HarnessError):
        cleanup.blob(f"{NAMESPACE}/../other", "sha256:" + "0" * 64)


def test_a_put_outside_the_namespace_is_refused_with_nothing_sent(registry: RegistryProcess) -> None:
    RUN_REQUESTS.limit(None, None)
    image = image_manifest(seed=3, layer_size=16)
    transcript = Transcript()
    with RegistryClient(registry.url, transcript=transcript, write_scope=SCOPE) as client:
        with pytest.raises(WriteOutsideNamespace) as caught:
            client.manifest_put("other/repo", "latest", image.data, image.media_type)
        for method in ("POST", "PATCH", "DELETE"):
            with pytest.raises(WriteOutsideNamespace):
                client.request(method, "/v2/other/repo/blobs/uploads/")
        with pytest.raises(WriteOutsideNamespace):
            client.request("PUT", f"/v2/{NAMESPACE}/%2e%2e/escape/manifests/latest", content=image.data)
        with pytest.raises(WriteOutsideNamespace):
            client.request_raw("PUT", "/v2/other/repo/manifests/latest", body=image.data)
        assert "other/repo" in str(caught.value) and "--registry-namespace" in str(caught.value)
        assert transcript.entries == [] and RUN_REQUESTS.as_json()["sent"] == 0
    with RegistryClient(registry.url) as unguarded:  # the registry never got the manifest
        assert unguarded.manifest_get("other/repo", "latest").status_code == 404
        assert unguarded.manifest_get("conformance/escape", "latest").status_code == 404


def test_writes_inside_and_reads_anywhere_go(registry: RegistryProcess) -> None:
    image = image_manifest(seed=4, layer_size=16)
    with RegistryClient(registry.url, write_scope=SCOPE) as client:
        client.push_image(f"{NAMESPACE}/check-x", image, tag="latest")  # POST, PUT blobs, PUT manifest
        assert client.manifest_get(f"{NAMESPACE}/check-x", "latest").status_code == 200
        assert client.manifest_get("library/busybox", "latest").status_code == 404  # a read: sent
        assert client.manifest_delete(f"{NAMESPACE}/check-x", image.digest).status_code == 202
