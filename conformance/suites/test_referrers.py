"""Checks of the referrers API, `GET /v2/<name>/referrers/<digest>[?artifactType=]` (end-12a, end-12b).

What binds (spec.md "Listing Referrers", "Pushing Manifests with Subject", `conformance.ledger.rules.
referrers`): the API is optional (distribution-spec 1.1); a registry without it answers 404 (the checks end
unsupported; clients then use the referrers tag schema). A registry with it MUST NOT answer 404, MUST answer
400 for a malformed digest, and MUST answer 200 with an image index (`Content-Type: application/vnd.oci.
image.index.v1+json`, an empty list when there are none) that includes every newly pushed image manifest
with the subject. Each descriptor carries the referrer's `mediaType`, `digest` and `size`, its
`artifactType` (else the config `mediaType` for an image manifest; omitted for an index without one) and
its annotations (MUSTs). Which descriptors the list holds beyond those ("Each descriptor is of an image
manifest or index ... with a `subject` field that specifies the value of `<digest>`") has no keyword:
an extra one (a referrer still listed right after its accepted delete, say) is contested advice, an index
with the subject left out is advice. A list that does not fit one response is paged with `Link: <...>;
rel="next"` (RFC 5988, MUST). Filtering by `artifactType` SHOULD be supported; when applied,
`OCI-Filters-Applied: artifactType` MUST say so. A registry MUST accept a referrer whose subject does not
exist. `OCI-Subject` MUST answer the push of an image manifest with a subject when the API exists; from a
registry without the API it is contested advice. A list that shows new referrers late gets
`--registry-settle-time` (`conformance.checks.settle`).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.documents import (
    check_schema,
    check_subject_header,
    header_values,
    json_document,
    push_children,
    push_tree,
    walk_pages,
)
from conformance.checks.errors import check_refusal
from conformance.checks.settle import referrers_showing, settle
from conformance.client import Response
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
from conformance.fixtures import Workspace
from conformance.ledger.rules import deletes, errors, general, manifests
from conformance.ledger.rules import referrers as rr
from conformance.spec import media_types as mt
from conformance.spec.digests import digest_bytes
from conformance.verdicts import judge, note, unsupported

pytestmark = [pytest.mark.content_discovery, pytest.mark.referrers, pytest.mark.writes,
              pytest.mark.rules(general.CATEGORY_CLAIM, manifests.MANIFEST_PUT_201)]

LISTING = (rr.REFERRERS_200, rr.REFERRERS_NO_404, rr.REFERRERS_CONTENT_TYPE, rr.REFERRERS_INDEX_BODY,
           rr.REFERRERS_INDEX_MEDIA_TYPE, rr.REFERRERS_LINK_FORMAT, rr.REFERRERS_PAGES_DIFFERENT)
"""The rules every listing judges (`_index`, `_all_entries`)."""

ENTRIES = (rr.REFERRERS_INCLUDE_NEW, rr.REFERRERS_INDEX_REFERRERS_LISTED, rr.REFERRERS_EACH_DESCRIPTOR,
           rr.REFERRERS_DESCRIPTOR_VALUES, rr.REFERRERS_ARTIFACT_TYPE, rr.REFERRERS_ARTIFACT_TYPE_FROM_CONFIG,
           rr.REFERRERS_INDEX_ARTIFACT_TYPE_OMITTED, rr.REFERRERS_ANNOTATIONS)
"""The rules `_check_entries` judges."""


def _require_api(referrers_supported: bool, capabilities: Capabilities) -> None:
    capabilities.require("referrers")
    if not referrers_supported:
        unsupported("referrers: the registry has no referrers API (404; clients use the referrers tag "
                    "schema)")


def _index(response: Response, what: str) -> dict[str, Any]:
    """A referrers answer: 200, the index Content-Type, a schema-valid referrers index."""
    __tracebackhide__ = True
    judge(rr.REFERRERS_NO_404, response.status_code != 404,
          f"{what}: {response.describe()}: a registry with the referrers API MUST NOT answer 404")
    judge(rr.REFERRERS_200, response.status_code == 200, f"{what}: {response.describe()}, expected 200")
    raw = response.header("content-type")
    judge(rr.REFERRERS_CONTENT_TYPE, response.content_type == mt.OCI_INDEX,
          f"{what}: Content-Type {raw!r}, expected {mt.OCI_INDEX}")
    if raw is not None and raw.strip() != mt.OCI_INDEX and response.content_type == mt.OCI_INDEX:
        note(f"{what}: Content-Type {raw!r} carries parameters")
    document = json_document(response, what, rule=rr.REFERRERS_INDEX_BODY)
    check_schema(document, "referrers", f"{what} body", rule=rr.REFERRERS_INDEX_BODY)
    judge(rr.REFERRERS_INDEX_MEDIA_TYPE, document.get("mediaType") == mt.OCI_INDEX,
          f"{what}: the referrers index has mediaType {document.get('mediaType')!r}, expected {mt.OCI_INDEX}")
    result: dict[str, Any] = document
    return result


def _all_entries(ws: Workspace, first: Response, what: str) -> list[dict[str, Any]]:
    """Every descriptor of a referrers list, following `Link` pages to the end."""
    __tracebackhide__ = True
    entries: list[dict[str, Any]] = list(_index(first, what)["manifests"])
    pages = walk_pages(ws.client, first, what, link_rule=rr.REFERRERS_LINK_FORMAT, page_rule=rr.REFERRERS_200)
    for number, page in enumerate(pages[1:], start=2):
        entries += _index(page, f"{what} (page {number})")["manifests"]
    if len(pages) > 1:
        note(f"{what}: {len(pages)} pages via Link")
    digests = [entry.get("digest") for entry in entries]
    twice = sorted({str(digest) for digest in digests if digests.count(digest) > 1})
    judge(rr.REFERRERS_PAGES_DIFFERENT, not twice, f"{what}: descriptors listed more than once: {twice}")
    return entries


def _expected_artifact_type(manifest: Manifest) -> str | None:
    value = manifest.document.get("artifactType")
    if value:
        return str(value)
    if manifest.media_type == mt.OCI_INDEX:
        return None
    return str(manifest.document["config"]["mediaType"])


def _check_listed(by_digest: dict[str, dict[str, Any]], wanted: dict[str, Manifest], what: str) -> None:
    """Every expected referrer listed (image manifests: MUST; indexes: advice), nothing else (contested)."""
    __tracebackhide__ = True
    missing = [digest for digest in wanted if digest not in by_digest]
    images = [digest for digest in missing if wanted[digest].media_type != mt.OCI_INDEX]
    indexes = [digest for digest in missing if digest not in images]
    judge(rr.REFERRERS_INCLUDE_NEW, not images,
          f"{what}: the image manifests {images} pushed with the subject are not listed "
          f"({sorted(by_digest)})")
    judge(rr.REFERRERS_INDEX_REFERRERS_LISTED, not indexes,
          f"{what}: the image indexes {indexes} pushed with the subject are not listed "
          f"({sorted(by_digest)})")
    extra = sorted(set(by_digest) - set(wanted))
    judge(rr.REFERRERS_EACH_DESCRIPTOR, not extra,
          f"{what}: lists {extra}, which are no referrers of the subject here (expected {sorted(wanted)})")


def _check_entries(entries: list[dict[str, Any]], expected: list[Manifest], what: str) -> None:
    """`entries` describe exactly `expected`, each with the spec's descriptor fields."""
    __tracebackhide__ = True
    by_digest = {str(entry.get("digest")): entry for entry in entries}
    wanted = {manifest.digest: manifest for manifest in expected}
    _check_listed(by_digest, wanted, what)
    for digest, manifest in wanted.items():
        entry = by_digest.get(digest)
        if entry is None:
            continue
        judge(rr.REFERRERS_DESCRIPTOR_VALUES,
              entry.get("mediaType") == manifest.media_type and entry.get("size") == manifest.size,
              f"{what}: descriptor of {digest} says {entry.get('mediaType')} / {entry.get('size')} bytes, "
              f"expected {manifest.media_type} / {manifest.size}")
        artifact_type = _expected_artifact_type(manifest)
        if artifact_type is None:
            judge(rr.REFERRERS_INDEX_ARTIFACT_TYPE_OMITTED, "artifactType" not in entry,
                  f"{what}: descriptor of index {digest} has artifactType {entry.get('artifactType')!r}; it "
                  "MUST be omitted for an index without one")
        else:
            rule = (rr.REFERRERS_ARTIFACT_TYPE if manifest.document.get("artifactType")
                    else rr.REFERRERS_ARTIFACT_TYPE_FROM_CONFIG)
            judge(rule, entry.get("artifactType") == artifact_type,
                  f"{what}: descriptor of {digest} has artifactType {entry.get('artifactType')!r}, expected "
                  f"{artifact_type!r}")
        annotations = manifest.document.get("annotations") or {}
        listed = entry.get("annotations") or {}
        missing = {key: value for key, value in annotations.items() if listed.get(key) != value}
        judge(rr.REFERRERS_ANNOTATIONS, not missing,
              f"{what}: descriptor of {digest} lacks the referrer's annotations {missing}")


def _push_subject(ws: Workspace) -> Manifest:
    subject = image_manifest(ws.content, layer_size=32)
    push_tree(ws.client, ws.repo, subject, ws.cleanup, f"subject-{ws.content.getrandbits(24):06x}")
    return subject


def _push_referrer(ws: Workspace, manifest: Manifest) -> Response:
    __tracebackhide__ = True
    push_children(ws.client, ws.repo, manifest, ws.cleanup)
    response = ws.client.manifest_put(ws.repo, manifest.digest, manifest.data, manifest.media_type)
    judge(manifests.MANIFEST_PUT_201, response.status_code == 201,
          f"pushing referrer {manifest.digest}: {response.describe()}: {response.text[:200]}")
    ws.cleanup.manifest(ws.repo, manifest.digest)
    return response


def _push_referrers(ws: Workspace, referrers: list[Manifest]) -> None:
    for manifest in referrers:
        _push_referrer(ws, manifest)


def _entries_of(ws: Workspace, digest: str, what: str, pushed: list[Manifest],
                gone: tuple[Manifest, ...] = ()) -> list[dict[str, Any]]:
    """Every descriptor the referrers list of `digest` holds, across all its pages (its first read
    settled until it lists `pushed` and not `gone`: `conformance.checks.settle`)."""
    shows = referrers_showing([m.digest for m in pushed], [m.digest for m in gone])
    first = settle("referrers", what, lambda: ws.client.referrers(ws.repo, digest), shows)
    return _all_entries(ws, first, what)


@pytest.mark.feature("referrers")
@pytest.mark.rules(*LISTING, rr.REFERRERS_EMPTY)
def test_referrers_of_a_manifest_without_referrers_is_an_empty_index(
    workspace: Workspace, referrers_supported: bool
) -> None:
    _require_api(referrers_supported, workspace.capabilities)
    subject = _push_subject(workspace)
    response = workspace.client.referrers(workspace.repo, subject.digest)
    document = _index(response, "referrers of a manifest without referrers")
    judge(rr.REFERRERS_EMPTY, document["manifests"] == [],
          f"expected an empty manifests list, got {document['manifests']}")


@pytest.mark.feature("referrers", "subject")
@pytest.mark.rules(*LISTING, *ENTRIES)
def test_referrers_list_each_referrer_with_its_descriptor_fields(
    workspace: Workspace, referrers_supported: bool
) -> None:
    _require_api(referrers_supported, workspace.capabilities)
    content = workspace.content
    subject = _push_subject(workspace)
    other_subject = _push_subject(workspace)
    child = artifact_manifest(content, blob_size=16)
    referrers = [
        image_manifest(content, layer_size=16, subject=subject),
        referrer(subject, content, annotations={"org.example.signer": "harness", "org.example.empty": ""}),
        artifact_manifest(content, artifact_type=SBOM_ARTIFACT_TYPE, subject=subject, blob_size=16,
                          annotations={"org.opencontainers.image.created": "2000-01-01T00:00:00Z"}),
        image_index([child], subject=subject, annotations={"org.example.bundle": "no artifactType"}),
        image_index([child], subject=subject,
                    artifact_type="application/vnd.example.registry-harness.set.v1"),
    ]
    unrelated = [image_manifest(content, layer_size=16), referrer(other_subject, content)]
    _push_referrers(workspace, [*referrers, *unrelated])
    entries = _entries_of(workspace, subject.digest, "referrers of the subject", referrers)
    _check_entries(entries, referrers, "referrers of the subject")


@pytest.mark.feature("referrers")
@pytest.mark.rules(*LISTING, *ENTRIES, rr.REFERRERS_FILTERING, rr.REFERRERS_FILTER_HEADER)
def test_artifact_type_filter_returns_only_that_type(workspace: Workspace, referrers_supported: bool) -> None:
    capabilities = workspace.capabilities
    _require_api(referrers_supported, capabilities)
    content = workspace.content
    subject = _push_subject(workspace)
    signatures = [referrer(subject, content, artifact_type=SIGNATURE_ARTIFACT_TYPE) for _ in range(2)]
    sbom = artifact_manifest(content, artifact_type=SBOM_ARTIFACT_TYPE, subject=subject, blob_size=16)
    _push_referrers(workspace, [*signatures, sbom])
    what = f"referrers?artifactType={SIGNATURE_ARTIFACT_TYPE}"
    response = settle("referrers", what, lambda: workspace.client.referrers(
        workspace.repo, subject.digest, artifact_type=SIGNATURE_ARTIFACT_TYPE),
        referrers_showing([signature.digest for signature in signatures]))
    entries = _all_entries(workspace, response, what)
    applied = "artifacttype" in [value.lower() for value in header_values(response, "oci-filters-applied")]
    others = [entry.get("digest") for entry in entries
              if entry.get("artifactType") != SIGNATURE_ARTIFACT_TYPE]
    capabilities.record("referrers_filtering", applied, f"OCI-Filters-Applied: {applied and 'artifactType'}",
                        evidence=response.describe())
    if applied:
        judge(rr.REFERRERS_FILTER_HEADER, not others,
              f"{what}: OCI-Filters-Applied: artifactType, but other artifact types are listed: {others}")
        _check_entries(entries, signatures, what)
        return
    if not others and entries:
        judge(rr.REFERRERS_FILTER_HEADER, False,
              f"{what}: the answer was filtered (only {SIGNATURE_ARTIFACT_TYPE} listed, the SBOM left out) "
              "but carries no OCI-Filters-Applied: artifactType")
        _check_entries(entries, signatures, what)
        return
    _check_entries(entries, [*signatures, sbom], f"{what} without OCI-Filters-Applied")
    judge(rr.REFERRERS_FILTERING, False, f"{what}: the registry does not filter referrers by artifactType "
          "(no OCI-Filters-Applied; the unfiltered list was judged)")


@pytest.mark.feature("referrers")
@pytest.mark.rules(*LISTING, *ENTRIES)
def test_referrers_pages_walk_to_the_full_list(workspace: Workspace, referrers_supported: bool) -> None:
    _require_api(referrers_supported, workspace.capabilities)
    content = workspace.content
    subject = _push_subject(workspace)
    payload = random_blob(content, 16, media_type=ARTIFACT_BLOB_TYPE)
    for blob in (payload, empty_json_blob()):
        workspace.client.push_blob(workspace.repo, blob)
        workspace.cleanup.blob(workspace.repo, blob.digest)
    referrers = [artifact_manifest(content, blobs=[payload], subject=subject,
                                   annotations={"org.example.index": str(number)}) for number in range(12)]
    _push_referrers(workspace, referrers)
    first = settle("referrers", "referrers (12 of them)", lambda: workspace.client.referrers(
        workspace.repo, subject.digest), referrers_showing([manifest.digest for manifest in referrers]))
    entries = _all_entries(workspace, first, "referrers (12 of them)")
    if not first.headers.get_list("link"):
        note("all 12 referrers came in one response (no Link): pagination not exercised")
    _check_entries(entries, referrers, "referrers (12 of them)")


@pytest.mark.feature("referrers")
@pytest.mark.rules(rr.REFERRERS_INVALID_400, rr.REFERRERS_NO_404, errors.MALFORMED_DIGEST_CODE,
                   general.ERROR_ENVELOPE, general.ERROR_CODE_SHAPE, general.ERROR_CODE_TABLE,
                   general.ERROR_MESSAGE)
@pytest.mark.parametrize("digest", ["sha256:abc", "not-a-digest", "sha256:" + "G" * 64])
def test_referrers_of_a_malformed_digest_is_400(
    digest: str, workspace: Workspace, referrers_supported: bool
) -> None:
    _require_api(referrers_supported, workspace.capabilities)
    _push_subject(workspace)
    response = workspace.client.referrers(workspace.repo, digest)
    what = f"referrers of the malformed digest {digest!r}"
    judge(rr.REFERRERS_NO_404, response.status_code != 404,
          f"{what}: {response.describe()}: a registry with the referrers API MUST NOT answer 404")
    check_refusal(response, (400,), what, status_rule=rr.REFERRERS_INVALID_400,
                  server_error_rule=rr.REFERRERS_INVALID_400, codes=("DIGEST_INVALID",),
                  code_rule=errors.MALFORMED_DIGEST_CODE)


@pytest.mark.feature("referrers", "subject_missing")
@pytest.mark.rules(*LISTING, *ENTRIES, manifests.SUBJECT_MISSING_ACCEPTED)
def test_referrers_of_a_missing_subject_list_its_referrer(
    workspace: Workspace, referrers_supported: bool
) -> None:
    _require_api(referrers_supported, workspace.capabilities)
    ghost = Descriptor(mt.OCI_MANIFEST, digest_bytes(workspace.content.randbytes(32)), 321)
    artifact = referrer(ghost, workspace.content)
    push_children(workspace.client, workspace.repo, artifact, workspace.cleanup)
    response = workspace.client.manifest_put(workspace.repo, artifact.digest, artifact.data,
                                             artifact.media_type)
    judge(manifests.SUBJECT_MISSING_ACCEPTED, response.status_code == 201,
          f"pushing a referrer of a subject that does not exist: {response.describe()}: "
          f"{response.text[:200]}")
    workspace.cleanup.manifest(workspace.repo, artifact.digest)
    entries = _entries_of(workspace, ghost.digest, "referrers of a missing subject", [artifact])
    _check_entries(entries, [artifact], "referrers of a missing subject")


@pytest.mark.feature("referrers", "manifest_delete")
@pytest.mark.content_management
@pytest.mark.deletes
@pytest.mark.rules(*LISTING, *ENTRIES, deletes.MANIFEST_DELETE_202, deletes.MANIFEST_DELETE_DISABLED)
def test_deleted_referrer_leaves_the_list(workspace: Workspace, referrers_supported: bool) -> None:
    _require_api(referrers_supported, workspace.capabilities)
    subject = _push_subject(workspace)
    kept, dropped = referrer(subject, workspace.content), referrer(subject, workspace.content)
    _push_referrers(workspace, [kept, dropped])
    deleted = workspace.client.manifest_delete(workspace.repo, dropped.digest)
    if deleted.status_code in (400, 405):
        unsupported(f"manifest_delete: DELETE by digest answered {deleted.status_code} (deletion disabled)")
    if 200 <= deleted.status_code < 300:
        judge(deletes.MANIFEST_DELETE_202, deleted.status_code == 202, f"{deleted.describe()}, expected 202")
    else:
        judge(deletes.MANIFEST_DELETE_DISABLED, False,
              f"{deleted.describe()}: a delete of a pushed referrer either succeeds (202) or answers 400/405")
    entries = _entries_of(workspace, subject.digest, "referrers after a delete", [kept], (dropped,))
    if not workspace.config.enabled("atomic_delete"):
        note(f"deletes declared non-atomic; referrers now: {[entry.get('digest') for entry in entries]}")
        _check_entries([entry for entry in entries if entry.get("digest") != dropped.digest], [kept],
                       "referrers after deleting one referrer")
        return
    _check_entries(entries, [kept], "referrers after deleting one referrer")


@pytest.mark.push
@pytest.mark.feature("subject")
@pytest.mark.rules(rr.SUBJECT_HEADER, rr.SUBJECT_HEADER_WITHOUT_API, rr.SUBJECT_HEADER_FOR_INDEX)
def test_subject_push_answers_oci_subject_exactly_when_the_api_exists(
    workspace: Workspace, referrers_supported: bool
) -> None:
    subject = _push_subject(workspace)
    response = _push_referrer(workspace, referrer(subject, workspace.content))
    api_exists = referrers_supported if workspace.config.enabled("referrers") else None
    check_subject_header(response, subject.digest, api_exists, with_api=rr.SUBJECT_HEADER,
                         without_api=rr.SUBJECT_HEADER_WITHOUT_API)
    index = image_index([artifact_manifest(workspace.content, blob_size=16)], subject=subject)
    check_subject_header(_push_referrer(workspace, index), subject.digest, api_exists,
                         with_api=rr.SUBJECT_HEADER_FOR_INDEX, without_api=rr.SUBJECT_HEADER_WITHOUT_API)
