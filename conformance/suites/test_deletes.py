"""Checks of deletes: tags and manifests (`DELETE /v2/<name>/manifests/<ref>`, end-9), blobs (end-10).

The spec (spec.md "Content Management"): registries MAY disable deletes (and may allow deletion only by
manifest); a disabled delete MUST answer 400 or 405 (the check is then unsupported; the error table's code is
`UNSUPPORTED`). A successful delete MUST answer 202. After a tag delete, a GET of the tag answers 404 while
the manifest stays pullable by digest (and by its other tags); after a manifest delete, a GET of the digest
and of every tag that pointed to it answers 404; after a blob delete the blob is gone (404). A delete of a
blob that does not exist MUST answer 404, a manifest delete in a repository that does not exist MUST answer
404, and a delete of an unknown manifest answers 404 (never 202). `--no-atomic-delete` turns the "gone right
after" checks into notes."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.documents import (
    check_error_response,
    check_gone,
    check_manifest_served,
    error_codes,
    json_document,
    push_children,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import Blob, Manifest, image_manifest, random_blob
from conformance.options import RunConfig
from conformance.spec.digests import digest_bytes
from conformance.verdicts import must, note, unsupported

pytestmark = [pytest.mark.content_management, pytest.mark.deletes, pytest.mark.writes]

TAG_DELETE = "spec.md#deleting-tags"
MANIFEST_DELETE = "spec.md#deleting-manifests"
BLOB_DELETE = "spec.md#deleting-blobs"


def _accepted_or_unsupported(
    response: Response, feature: str, capabilities: Capabilities, ref: str, *, record: bool = True
) -> None:
    """202 (recorded as supported), or 400/405 (recorded as unsupported, the check ends unsupported).

    `record=False` for deletes of content that does not exist: their answer says little about the feature.
    """
    if response.status_code in (400, 405):
        codes = error_codes(response, ref=ref)
        note(f"{feature} refused with {response.status_code} {codes or ''} (UNSUPPORTED is the table's code)")
        if record:
            capabilities.record(
                feature,
                False,
                f"DELETE answered {response.status_code} {codes or ''}".strip(),
                evidence=response.describe(),
                source="deletes",
            )
        unsupported(f"{feature}: {response.describe()}")
    must(
        response.status_code == 202,
        f"{response.describe()}, expected 202 (or 400/405 when disabled)",
        ref=ref,
    )
    capabilities.record(feature, True, "DELETE answered 202", evidence=response.describe(), source="deletes")


def _check_unknown_not_deleted(
    response: Response,
    feature: str,
    capabilities: Capabilities,
    *,
    codes: tuple[str, ...],
    what: str,
    never_existed: str,
    ref: str,
) -> None:
    """A DELETE of something that does not exist: never 202; 400/405 when deletes are off, else 404."""
    must(response.status_code != 202, f"{response.describe()}: 202 {never_existed}", ref=ref)
    if response.status_code in (400, 405):
        _accepted_or_unsupported(response, feature, capabilities, ref, record=False)
    check_error_response(response, (404,), codes, what, ref=ref, code_level="should")


@dataclass(frozen=True)
class _Store:
    """The fixtures a delete check works with, and the pushes it sets up with."""

    client: RegistryClient
    repo: str
    content: random.Random
    cleanup: Cleanup
    config: RunConfig
    capabilities: Capabilities

    def push_image(self, image: Manifest, tags: list[str]) -> None:
        """`image` pushed (children first) under each of `tags`; its manifest is registered for cleanup."""
        push_children(self.client, self.repo, image, self.cleanup)
        for tag in tags:
            self.client.push_manifest(self.repo, tag, image)
        self.cleanup.manifest(self.repo, image.digest)

    def push_blob(self, size: int) -> Blob:
        blob = random_blob(self.content, size)
        self.client.push_blob(self.repo, blob)
        self.cleanup.blob(self.repo, blob.digest)
        return blob


@pytest.fixture
def store(
    client: RegistryClient,
    *,
    repo: str,
    content: random.Random,
    cleanup: Cleanup,
    registry_config: RunConfig,
    capabilities: Capabilities,
) -> _Store:
    """The delete checks' fixtures in one place."""
    return _Store(client, repo, content, cleanup, registry_config, capabilities)


@pytest.mark.spec("end-9", TAG_DELETE)
@pytest.mark.level("MUST")
@pytest.mark.feature("tag_delete")
def test_tag_delete_removes_only_that_tag(store: _Store) -> None:
    client, repo, registry_config, capabilities = store.client, store.repo, store.config, store.capabilities
    capabilities.require("tag_delete")
    image = image_manifest(store.content, layer_size=32)
    doomed, kept = (f"{name}-{store.content.getrandbits(24):06x}" for name in ("doomed", "kept"))
    store.push_image(image, [doomed, kept])
    store.cleanup.tag(repo, kept)
    _accepted_or_unsupported(client.manifest_delete(repo, doomed), "tag_delete", capabilities, TAG_DELETE)
    check_gone(client.manifest_get(repo, doomed), registry_config, "GET of the deleted tag", ref=TAG_DELETE)
    check_manifest_served(client.manifest_get(repo, image.digest), image, registry_config, ref=TAG_DELETE)
    check_manifest_served(client.manifest_get(repo, kept), image, registry_config, ref=TAG_DELETE)
    if registry_config.enabled("tags_list") and registry_config.enabled("atomic_delete"):
        listed = client.tags_list(repo)
        if listed.status_code == 200:
            tags = json_document(listed, "tags/list after a tag delete").get("tags") or []
            must(
                doomed not in tags and kept in tags,
                f"after deleting {doomed}, tags/list lists {tags}",
                ref="spec.md#listing-tags",
            )


@pytest.mark.spec("end-9", MANIFEST_DELETE)
@pytest.mark.level("MUST")
@pytest.mark.feature("manifest_delete")
def test_manifest_delete_removes_the_digest_and_every_tag(store: _Store) -> None:
    client, repo, registry_config, capabilities = store.client, store.repo, store.config, store.capabilities
    capabilities.require("manifest_delete")
    image = image_manifest(store.content, layer_size=32)
    tags = [f"gone{index}-{store.content.getrandbits(24):06x}" for index in range(2)]
    store.push_image(image, tags)
    _accepted_or_unsupported(
        client.manifest_delete(repo, image.digest), "manifest_delete", capabilities, MANIFEST_DELETE
    )
    check_gone(client.manifest_get(repo, image.digest), registry_config, "GET by digest", ref=MANIFEST_DELETE)
    check_gone(
        client.manifest_head(repo, image.digest), registry_config, "HEAD by digest", ref=MANIFEST_DELETE
    )
    for tag in tags:
        check_gone(
            client.manifest_get(repo, tag),
            registry_config,
            f"GET of tag {tag} that pointed to it",
            ref=MANIFEST_DELETE,
        )


@pytest.mark.spec("end-10", BLOB_DELETE)
@pytest.mark.level("MUST")
@pytest.mark.feature("blob_delete")
def test_blob_delete_answers_202_and_the_blob_is_gone(store: _Store) -> None:
    client, repo, registry_config = store.client, store.repo, store.config
    store.capabilities.require("blob_delete")
    blob = store.push_blob(100)
    _accepted_or_unsupported(
        client.blob_delete(repo, blob.digest), "blob_delete", store.capabilities, BLOB_DELETE
    )
    check_gone(
        client.blob_head(repo, blob.digest), registry_config, "HEAD of the deleted blob", ref=BLOB_DELETE
    )
    check_gone(
        client.blob_get(repo, blob.digest), registry_config, "GET of the deleted blob", ref=BLOB_DELETE
    )


@pytest.mark.spec("end-9", MANIFEST_DELETE, "code-7")
@pytest.mark.level("MUST")
@pytest.mark.feature("manifest_delete")
def test_delete_of_an_unknown_manifest_is_404(store: _Store) -> None:
    store.capabilities.require("manifest_delete")
    store.push_blob(32)
    unknown = digest_bytes(store.content.randbytes(32))
    _check_unknown_not_deleted(
        store.client.manifest_delete(store.repo, unknown),
        "manifest_delete",
        store.capabilities,
        codes=("MANIFEST_UNKNOWN",),
        what="DELETE of an unknown manifest",
        never_existed="for a manifest that never existed",
        ref=MANIFEST_DELETE,
    )


@pytest.mark.spec("end-10", BLOB_DELETE, "code-1")
@pytest.mark.level("MUST")
@pytest.mark.feature("blob_delete")
def test_delete_of_an_unknown_blob_is_404(store: _Store) -> None:
    store.capabilities.require("blob_delete")
    store.push_blob(32)
    _check_unknown_not_deleted(
        store.client.blob_delete(store.repo, digest_bytes(store.content.randbytes(32))),
        "blob_delete",
        store.capabilities,
        codes=("BLOB_UNKNOWN",),
        what="DELETE of an unknown blob",
        never_existed="for a blob that never existed",
        ref=BLOB_DELETE,
    )


@pytest.mark.spec("end-9", MANIFEST_DELETE, "code-9")
@pytest.mark.level("MUST")
@pytest.mark.feature("manifest_delete")
def test_manifest_delete_in_a_missing_repository_is_404(
    client: RegistryClient, repo: str, content: random.Random, capabilities: Capabilities
) -> None:
    capabilities.require("manifest_delete")
    _check_unknown_not_deleted(
        client.manifest_delete(f"{repo}/never-pushed", digest_bytes(content.randbytes(32))),
        "manifest_delete",
        capabilities,
        codes=("NAME_UNKNOWN", "MANIFEST_UNKNOWN"),
        what="DELETE in a repository that does not exist",
        never_existed="in a repository that does not exist",
        ref=MANIFEST_DELETE,
    )
