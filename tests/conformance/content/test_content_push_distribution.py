"""Built images, indexes, artifacts and Docker lists push to distribution 2.8.2 and read back unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.client import RegistryClient
from conformance.content import (
    Manifest,
    artifact_manifest,
    docker_multi_platform,
    image_manifest,
    multi_platform_index,
    nested_index,
    referrer,
)
from conformance.registries import RegistryProcess, distribution_available, start_distribution

pytestmark = pytest.mark.skipif(
    not distribution_available(), reason="Debian's docker-registry (distribution 2.8.2) is not installed"
)


FOREIGN_URLS_ALLOWED = "validation:\n  manifests:\n    urls:\n      allow:\n        - ^https?://\n"


@pytest.fixture(scope="module")
def client() -> Iterator[RegistryClient]:
    # foreign-layer URLs are refused unless the config allows them (distribution's default is to deny)
    process: RegistryProcess = start_distribution(auth_yaml=FOREIGN_URLS_ALLOWED)
    try:
        with RegistryClient(process.url, timeout=10.0) as registry_client:
            yield registry_client
    finally:
        process.stop()


def walk(manifest: Manifest) -> Iterator[Manifest]:
    yield manifest
    for child in manifest.children:
        yield from walk(child)


@pytest.mark.parametrize(
    "build",
    [
        lambda: image_manifest(1, layers=2),
        lambda: multi_platform_index(2),
        lambda: nested_index(3),
        lambda: artifact_manifest(4, blobs=2),
        lambda: referrer(image_manifest(5), 6),
        lambda: docker_multi_platform(7),
    ],
    ids=["image", "index", "nested-index", "artifact", "referrer", "docker-list-with-foreign-layer"],
)
def test_push_image_then_read_everything_back(client: RegistryClient, build: object) -> None:
    manifest: Manifest = build()  # type: ignore[operator]
    descriptor = client.push_image("content/push", manifest, tag="t")
    assert descriptor.digest == manifest.digest
    fetched = client.manifest_get("content/push", "t")
    assert fetched.status_code == 200 and fetched.content == manifest.data
    assert fetched.content_digest == manifest.digest
    for part in walk(manifest):
        by_digest = client.manifest_get("content/push", part.digest)
        assert by_digest.status_code == 200 and by_digest.content == part.data
    for blob in manifest.all_blobs():
        download = client.blob_get_digest("content/push", blob.digest)
        assert download.computed_digest == blob.digest and download.body_size == blob.size
