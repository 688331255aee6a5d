"""Checks of the referrers API, `GET /v2/<name>/referrers/<digest>[?artifactType=]` (end-12a, end-12b).

The spec (spec.md "Listing Referrers", "Pushing Manifests with Subject"): the API is optional (distribution-
spec 1.1); a registry without it answers 404 and then MUST NOT send `OCI-Subject`; a registry with it MUST
NOT answer 404 for an existing repository, MUST answer 400 for a malformed digest, and MUST answer 200 with
an image index (`Content-Type: application/vnd.oci.image.index.v1+json`) listing one descriptor per manifest
or index of the repository whose `subject` is `<digest>` (an empty list when there are none). Each descriptor
carries the referrer's `mediaType`, `digest` and `size`, its `artifactType` (else the config `mediaType` for
an image manifest; omitted for an index without one) and its annotations. A list that does not fit one
response is paged with `Link: <...>; rel="next"` (RFC 5988). Filtering by `artifactType` SHOULD be supported;
when applied, `OCI-Filters-Applied: artifactType` MUST say so (absent header: unfiltered results, filtering
unsupported). A registry MUST accept a referrer whose subject does not exist; deleting a referrer removes it
from the list.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.documents import (
    check_error_response,
    check_schema,
    check_subject_header,
    header_values,
    json_document,
    push_children,
    push_tree,
    walk_pages,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import (
    Descriptor,
    Manifest,
    artifact_manifest,
    empty_json_blob,
    image_index,
    image_manifest,
    random_blob,
    referrer,
)
from conformance.content.artifacts import ARTIFACT_BLOB_TYPE, SBOM_ARTIFACT_TYPE, SIGNATURE_ARTIFACT_TYPE
from conformance.options import RunConfig
from conformance.spec import media_types as mt
from conformance.spec.digests import digest_bytes
from conformance.verdicts import must, note, should, unsupported

pytestmark = [pytest.mark.content_discovery, pytest.mark.referrers, pytest.mark.writes]

REFERRERS = "spec.md#listing-referrers"
SUBJECT_PUSH = "spec.md#pushing-manifests-with-subject"


def _require_api(referrers_supported: bool, capabilities: Capabilities) -> None:
    capabilities.require("referrers")
    if not referrers_supported:
        unsupported("referrers: the registry has no referrers API (404)")


def _index(response: Response, what: str) -> dict[str, Any]:
    """A referrers answer: 200, the exact index Content-Type, a schema-valid referrers index."""
    if response.status_code == 404:
        must(
            False,
            f"{what}: {response.describe()}: a registry with the referrers API MUST NOT answer 404",
            ref=REFERRERS,
        )
    must(response.status_code == 200, f"{what}: {response.describe()}, expected 200", ref=REFERRERS)
    must(
        response.header("content-type") == mt.OCI_INDEX,
        f"{what}: Content-Type {response.header('content-type')!r}, expected exactly {mt.OCI_INDEX}",
        ref=REFERRERS,
    )
    document = json_document(response, what, ref=REFERRERS)
    check_schema(document, "referrers", f"{what} body", ref=REFERRERS)
    result: dict[str, Any] = document
    return result


def _all_entries(client: RegistryClient, first: Response, what: str) -> list[dict[str, Any]]:
    """Every descriptor of a referrers list, following `Link` pages to the end."""
    entries: list[dict[str, Any]] = list(_index(first, what)["manifests"])
    pages = walk_pages(client, first, what, ref=REFERRERS)
    for number, page in enumerate(pages[1:], start=2):
        entries += _index(page, f"{what} (page {number})")["manifests"]
    if len(pages) > 1:
        note(f"{what}: {len(pages)} pages via Link")
    digests = [entry["digest"] for entry in entries]
    must(
        len(digests) == len(set(digests)),
        f"{what}: descriptors listed more than once: {digests}",
        ref=REFERRERS,
    )
    return entries


def _expected_artifact_type(manifest: Manifest) -> str | None:
    value = manifest.document.get("artifactType")
    if value:
        return str(value)
    if manifest.media_type == mt.OCI_INDEX:
        return None
    return str(manifest.document["config"]["mediaType"])


def _check_entries(entries: list[dict[str, Any]], expected: list[Manifest], what: str) -> None:
    """`entries` describe exactly `expected`, each with the spec's descriptor fields."""
    by_digest = {entry["digest"]: entry for entry in entries}
    wanted = {manifest.digest: manifest for manifest in expected}
    must(
        set(by_digest) == set(wanted),
        f"{what}: lists {sorted(by_digest)}, expected exactly the referrers {sorted(wanted)}",
        ref=REFERRERS,
    )
    for digest, manifest in wanted.items():
        entry = by_digest[digest]
        must(
            entry.get("mediaType") == manifest.media_type and entry.get("size") == manifest.size,
            f"{what}: descriptor of {digest} says {entry.get('mediaType')} / {entry.get('size')} bytes, "
            f"expected {manifest.media_type} / {manifest.size}",
            ref=REFERRERS,
        )
        artifact_type = _expected_artifact_type(manifest)
        if artifact_type is None:
            must(
                "artifactType" not in entry,
                f"{what}: descriptor of index {digest} has artifactType "
                f"{entry.get('artifactType')!r}; it MUST be omitted for an index without one",
                ref=REFERRERS,
            )
        else:
            must(
                entry.get("artifactType") == artifact_type,
                f"{what}: descriptor of {digest} has artifactType {entry.get('artifactType')!r}, expected "
                f"{artifact_type!r}",
                ref=REFERRERS,
            )
        annotations = manifest.document.get("annotations") or {}
        listed = entry.get("annotations") or {}
        missing = {key: value for key, value in annotations.items() if listed.get(key) != value}
        must(
            not missing,
            f"{what}: descriptor of {digest} lacks the referrer's annotations {missing}",
            ref=REFERRERS,
        )


def _push_subject(client: RegistryClient, repo: str, rng: random.Random, cleanup: Cleanup) -> Manifest:
    subject = image_manifest(rng, layer_size=32)
    push_tree(client, repo, subject, cleanup, f"subject-{rng.getrandbits(24):06x}")
    return subject


def _push_referrer(client: RegistryClient, repo: str, manifest: Manifest, cleanup: Cleanup) -> Response:
    push_children(client, repo, manifest, cleanup)
    response = client.manifest_put(repo, manifest.digest, manifest.data, manifest.media_type)
    must(
        response.status_code == 201,
        f"pushing referrer {manifest.digest}: {response.describe()}: {response.text[:200]}",
        ref=SUBJECT_PUSH,
    )
    cleanup.manifest(repo, manifest.digest)
    return response


@dataclass(frozen=True)
class _Referrers:
    """The fixtures every referrers check works with, and the setup steps they share."""

    client: RegistryClient
    repo: str
    content: random.Random
    cleanup: Cleanup
    supported: bool
    capabilities: Capabilities

    def require_api(self) -> None:
        """Skip as unsupported when the registry has no referrers API."""
        _require_api(self.supported, self.capabilities)

    def push_subject(self) -> Manifest:
        return _push_subject(self.client, self.repo, self.content, self.cleanup)

    def push_referrer(self, manifest: Manifest) -> Response:
        return _push_referrer(self.client, self.repo, manifest, self.cleanup)

    def push_referrers(self, manifests: list[Manifest]) -> None:
        for manifest in manifests:
            self.push_referrer(manifest)

    def entries_of(self, digest: str, what: str) -> list[dict[str, Any]]:
        """Every descriptor the referrers list of `digest` holds, across all its pages."""
        return _all_entries(self.client, self.client.referrers(self.repo, digest), what)


@pytest.fixture
def api(
    client: RegistryClient,
    *,
    repo: str,
    content: random.Random,
    cleanup: Cleanup,
    referrers_supported: bool,
    capabilities: Capabilities,
) -> _Referrers:
    """The referrers checks' fixtures in one place."""
    return _Referrers(client, repo, content, cleanup, referrers_supported, capabilities)


@pytest.mark.spec("end-12a", REFERRERS)
@pytest.mark.level("MUST")
@pytest.mark.feature("referrers")
def test_referrers_of_a_manifest_without_referrers_is_an_empty_index(api: _Referrers) -> None:
    api.require_api()
    subject = api.push_subject()
    response = api.client.referrers(api.repo, subject.digest)
    document = _index(response, "referrers of a manifest without referrers")
    must(
        document["manifests"] == [],
        f"expected an empty manifests list, got {document['manifests']}",
        ref=REFERRERS,
    )
    should(
        document.get("mediaType") == mt.OCI_INDEX, "the referrers index carries no mediaType", ref=REFERRERS
    )


@pytest.mark.spec("end-12a", REFERRERS, SUBJECT_PUSH)
@pytest.mark.level("MUST")
@pytest.mark.feature("referrers", "subject")
def test_referrers_list_each_referrer_with_its_descriptor_fields(api: _Referrers) -> None:
    api.require_api()
    content = api.content
    subject = api.push_subject()
    other_subject = api.push_subject()
    child = artifact_manifest(content, blob_size=16)
    referrers = [
        image_manifest(content, layer_size=16, subject=subject),
        referrer(subject, content, annotations={"org.example.signer": "harness", "org.example.empty": ""}),
        artifact_manifest(
            content,
            artifact_type=SBOM_ARTIFACT_TYPE,
            subject=subject,
            blob_size=16,
            annotations={"org.opencontainers.image.created": "2000-01-01T00:00:00Z"},
        ),
        image_index([child], subject=subject, annotations={"org.example.bundle": "no artifactType"}),
        image_index(
            [child], subject=subject, artifact_type="application/vnd.example.registry-harness.set.v1"
        ),
    ]
    unrelated = [image_manifest(content, layer_size=16), referrer(other_subject, content)]
    api.push_referrers([*referrers, *unrelated])
    entries = api.entries_of(subject.digest, "referrers of the subject")
    _check_entries(entries, referrers, "referrers of the subject")


@pytest.mark.spec("end-12b", REFERRERS)
@pytest.mark.level("SHOULD")
@pytest.mark.feature("referrers")
def test_artifact_type_filter_returns_only_that_type(api: _Referrers) -> None:
    api.require_api()
    content, capabilities = api.content, api.capabilities
    subject = api.push_subject()
    signatures = [referrer(subject, content, artifact_type=SIGNATURE_ARTIFACT_TYPE) for _ in range(2)]
    sbom = artifact_manifest(content, artifact_type=SBOM_ARTIFACT_TYPE, subject=subject, blob_size=16)
    api.push_referrers([*signatures, sbom])
    response = api.client.referrers(api.repo, subject.digest, artifact_type=SIGNATURE_ARTIFACT_TYPE)
    entries = _all_entries(api.client, response, "referrers?artifactType=")
    applied = [value.lower() for value in header_values(response, "oci-filters-applied")]
    if "artifacttype" not in applied:
        _check_entries(entries, [*signatures, sbom], "referrers?artifactType= without OCI-Filters-Applied")
        capabilities.record(
            "referrers_filtering", False, "no OCI-Filters-Applied: artifactType", evidence=response.describe()
        )
        should(False, "the registry does not filter referrers by artifactType (SHOULD)", ref=REFERRERS)
        unsupported("referrers_filtering: no OCI-Filters-Applied header; unfiltered results were correct")
    capabilities.record(
        "referrers_filtering", True, "OCI-Filters-Applied: artifactType", evidence=response.describe()
    )
    _check_entries(entries, signatures, f"referrers?artifactType={SIGNATURE_ARTIFACT_TYPE}")


@pytest.mark.spec("end-12a", REFERRERS, "RFC 5988")
@pytest.mark.level("MUST")
@pytest.mark.feature("referrers")
def test_referrers_pages_walk_to_the_full_list(api: _Referrers) -> None:
    api.require_api()
    content = api.content
    subject = api.push_subject()
    payload = random_blob(content, 16, media_type=ARTIFACT_BLOB_TYPE)
    for blob in (payload, empty_json_blob()):
        api.client.push_blob(api.repo, blob)
        api.cleanup.blob(api.repo, blob.digest)
    referrers = [
        artifact_manifest(
            content, blobs=[payload], subject=subject, annotations={"org.example.index": str(number)}
        )
        for number in range(12)
    ]
    api.push_referrers(referrers)
    first = api.client.referrers(api.repo, subject.digest)
    entries = _all_entries(api.client, first, "referrers (12 of them)")
    if not first.headers.get_list("link"):
        note("all 12 referrers came in one response (no Link): pagination not exercised")
    _check_entries(entries, referrers, "referrers (12 of them)")


@pytest.mark.spec("end-12a", REFERRERS)
@pytest.mark.level("MUST")
@pytest.mark.feature("referrers")
@pytest.mark.parametrize("digest", ["sha256:abc", "not-a-digest", "sha256:" + "G" * 64])
def test_referrers_of_a_malformed_digest_is_400(digest: str, api: _Referrers) -> None:
    api.require_api()
    api.push_subject()
    response = api.client.referrers(api.repo, digest)
    check_error_response(response, (400,), (), f"referrers of the malformed digest {digest!r}", ref=REFERRERS)


@pytest.mark.spec("end-12a", REFERRERS, SUBJECT_PUSH, "spec.md#push")
@pytest.mark.level("MUST")
@pytest.mark.feature("referrers", "subject_missing")
def test_referrers_of_a_missing_subject_list_its_referrer(api: _Referrers) -> None:
    api.require_api()
    ghost = Descriptor(mt.OCI_MANIFEST, digest_bytes(api.content.randbytes(32)), 321)
    artifact = referrer(ghost, api.content)
    api.push_referrer(artifact)
    entries = api.entries_of(ghost.digest, "referrers of a missing subject")
    _check_entries(entries, [artifact], "referrers of a missing subject")


@pytest.mark.spec("end-12a", "end-9", REFERRERS, "spec.md#deleting-manifests")
@pytest.mark.level("MUST")
@pytest.mark.feature("referrers", "manifest_delete")
@pytest.mark.content_management
@pytest.mark.deletes
def test_deleted_referrer_leaves_the_list(api: _Referrers, registry_config: RunConfig) -> None:
    api.require_api()
    subject = api.push_subject()
    kept, dropped = referrer(subject, api.content), referrer(subject, api.content)
    api.push_referrers([kept, dropped])
    deleted = api.client.manifest_delete(api.repo, dropped.digest)
    if deleted.status_code in (400, 405):
        unsupported(f"manifest_delete: DELETE by digest answered {deleted.status_code}")
    must(deleted.status_code == 202, f"{deleted.describe()}, expected 202", ref="spec.md#deleting-manifests")
    entries = api.entries_of(subject.digest, "referrers after a delete")
    if not registry_config.enabled("atomic_delete"):
        note(f"deletes declared non-atomic; referrers now: {[entry['digest'] for entry in entries]}")
        return
    _check_entries(entries, [kept], "referrers after deleting one referrer")


@pytest.mark.spec(SUBJECT_PUSH, "end-7a")
@pytest.mark.level("MUST")
@pytest.mark.push
@pytest.mark.feature("subject")
def test_subject_push_answers_oci_subject_exactly_when_the_api_exists(
    api: _Referrers, registry_config: RunConfig
) -> None:
    subject = api.push_subject()
    response = api.push_referrer(referrer(subject, api.content))
    api_exists = api.supported if registry_config.enabled("referrers") else None
    check_subject_header(response, subject.digest, api_exists)
    index = image_index([artifact_manifest(api.content, blob_size=16)], subject=subject)
    check_subject_header(api.push_referrer(index), subject.digest, api_exists)
