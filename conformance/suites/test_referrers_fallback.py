"""Checks of the referrers tag schema, the fallback for registries without the referrers API (spec.md).

A registry without the API answers 404 to `GET /v2/<name>/referrers/<digest>`; then "the client MUST
fallback to pulling the referrers tag schema": the tag `<alg>-<ref>` of the subject's digest
(`conformance.spec.referrers_tag`) holds an image index describing its referrers, and "Maintaining the
content of this tag is the responsibility of clients". So what binds the registry here is what binds it for
any manifest: it accepts the referrers, with their `subject` (also before the subject exists: "A registry
MUST initially accept an otherwise valid manifest with a `subject` field that references a manifest that
does not exist"), accepts the index under the tag (201), stores it "in the exact byte representation
provided by the client", serves it under the tag (200, the same bytes, after a second referrer was appended
too), and lists the tag among the repository's tags. The checks act as the spec's client ("Pushing
Manifests with Subject": pull the tag, a 404 begins an empty index, append a descriptor with the
referrer's `artifactType` or config `mediaType` and all its annotations, push the index to the same tag).

A registry (or a proxy) may maintain the tag itself: then the client steps find the referrer listed and
the client checks end unsupported; `test_registry_maintained_referrers_tag_lists_each_referrer` reads what
it wrote ("This tag should return an image index matching the expected response of the referrers API":
lower-case should, no keyword: advice) and still holds it to the MUSTs of serving and listing a tag.

With the API the fallback is not what the registry offers: every check ends unsupported. The mechanism
the run found is the capability `referrers_mechanism` (`conformance.referrers_mechanism`).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.documents import (
    check_digest_header,
    check_manifest_pushed,
    check_manifest_served,
    check_own_document,
    check_schema,
    header_values,
    push_children,
    push_tree,
)
from conformance.checks.listings import COMPARE_RULES, FULL_LIST_RULES, compare_tag_list, full_tag_list
from conformance.checks.settle import settle, tags_showing
from conformance.client import Response
from conformance.content import Descriptor, Manifest, artifact_manifest, image_index, image_manifest, referrer
from conformance.content.artifacts import SBOM_ARTIFACT_TYPE
from conformance.content.tag_schema import appended, index_from_bytes, referrer_descriptor, tag_schema_index
from conformance.fixtures import Workspace
from conformance.ledger.model import Rule
from conformance.ledger.rules import general, manifests, pull
from conformance.ledger.rules import referrers as rr
from conformance.referrers_mechanism import served_index
from conformance.spec import media_types as mt
from conformance.spec.digests import digest_bytes
from conformance.spec.referrers_tag import referrers_tag
from conformance.verdicts import judge, note, unsupported

pytestmark = [pytest.mark.content_discovery, pytest.mark.referrers, pytest.mark.writes,
              pytest.mark.feature("referrers", "subject", "index"),
              pytest.mark.rules(general.CATEGORY_CLAIM, manifests.MANIFEST_PUT_201)]

PUSHED = (manifests.MANIFEST_PUT_201, manifests.MANIFEST_PUT_DIGEST_HEADER,
          manifests.MANIFEST_PUT_DIGEST_HEADER_PRESENT)
"""What `check_manifest_pushed` judges."""
SERVED = (pull.MANIFEST_GET_200, pull.HEAD_200, pull.HEAD_CONTENT_LENGTH, manifests.MANIFEST_EXACT_BYTES,
          pull.MANIFEST_DIGEST_HEADER, pull.HEAD_DIGEST_HEADER, pull.MANIFEST_CONTENT_TYPE,
          pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH, pull.MANIFEST_CONTENT_TYPE_NO_PARAMETERS)
"""What `check_manifest_served` judges of a GET and a HEAD."""
CLIENT = (pull.MANIFEST_NOT_FOUND_404, *PUSHED, *SERVED, rr.TAG_SCHEMA_REGISTRY_MAINTAINED)
"""What the client steps (`_maintain`) judge."""
WITH_API = ("referrers_mechanism: the registry has the referrers API; the fallback is for registries "
            "without it")
REGISTRY_MAINTAINS = ("referrers_mechanism: the registry maintains the referrers tag {tag} itself (it listed "
                      "the referrer before the client pushed an index), so the client steps are not needed; "
                      "test_registry_maintained_referrers_tag_lists_each_referrer reads what it wrote")


def _require_no_api(ws: Workspace, referrers_mechanism: str | None) -> None:
    """Unsupported unless the referrers API answered 404 (the fallback is for registries without it)."""
    capabilities: Capabilities = ws.capabilities
    api = capabilities.supported("referrers")
    if api:
        unsupported(WITH_API)
    if api is None:
        unsupported("referrers_mechanism: the referrers API probe was inconclusive; the fallback is judged "
                    "once the API answered 404")
    finding = capabilities.get("referrers_mechanism")
    note(f"referrers mechanism: {finding.reason if finding else referrers_mechanism or 'unknown'}")


def _listed(document: dict[str, Any] | None, digest: str) -> bool:
    return document is not None and any(entry.get("digest") == digest for entry in document["manifests"])


def _pull(ws: Workspace, tag: str) -> Response:
    return ws.client.manifest_get(ws.repo, tag, accept=[mt.OCI_INDEX])


def _push_subject(ws: Workspace) -> tuple[Manifest, str]:
    subject = image_manifest(ws.content, layer_size=32)
    tag = f"subject-{ws.content.getrandbits(24):06x}"
    push_tree(ws.client, ws.repo, subject, ws.cleanup, tag)
    return subject, tag


def _push_referrer(ws: Workspace, manifest: Manifest, rule: Rule = manifests.MANIFEST_PUT_201) -> None:
    """Push a manifest with a `subject` (children first), as a client does; note an OCI-Subject answer."""
    __tracebackhide__ = True
    push_children(ws.client, ws.repo, manifest, ws.cleanup)
    response = ws.client.manifest_put(ws.repo, manifest.digest, manifest.data, manifest.media_type)
    judge(rule, response.status_code == 201,
          f"pushing referrer {manifest.digest} (a manifest with a subject): {response.describe()}: "
          f"{response.text[:200]}")
    ws.cleanup.manifest(ws.repo, manifest.digest)
    subject = header_values(response, "oci-subject")
    if subject:
        note(f"the push of {manifest.digest} answered OCI-Subject {subject} without the referrers API "
             "(test_referrers.py judges it); the client steps go on as if it were absent")


def _start(ws: Workspace, tag: str, pushed: Manifest, before: Manifest | None) -> Manifest:
    """Step 1 to 3: pull the tag; `before` is the index the client pushed there last (None: a new tag)."""
    __tracebackhide__ = True
    pulled = _pull(ws, tag)
    document = served_index(pulled)
    if _listed(document, pushed.digest):
        unsupported(REGISTRY_MAINTAINS.format(tag=tag))
    if before is not None:
        check_manifest_served(pulled, before, ws.config)
        return before
    judge(pull.MANIFEST_NOT_FOUND_404, pulled.status_code in (200, 404),
          f"pulling the referrers tag {tag}, which nobody pushed: {pulled.describe()}, expected 404")
    if pulled.status_code == 404:
        return tag_schema_index()
    if document is None:
        judge(rr.TAG_SCHEMA_REGISTRY_MAINTAINED, False,
              f"the referrers tag {tag}, which the client never pushed, serves {pulled.content_type}, not an "
              "image index")
        unsupported(f"referrers_mechanism: the referrers tag {tag} holds no image index; a client reports a "
                    "failure and skips the remaining steps (spec.md, a client's SHOULD)")
    judge(rr.TAG_SCHEMA_REGISTRY_MAINTAINED, False,
          f"the referrers tag {tag}, which the client never pushed, serves an index that does not list the "
          f"referrer {pushed.digest}; the client appends to it")
    ws.cleanup.manifest(ws.repo, digest_bytes(pulled.content))
    return index_from_bytes(pulled.content, document)


def _check_tag_list(workspace: Workspace, held: set[str]) -> None:
    """The repository's tag list holds exactly `held` (read again within the settle time until it does)."""
    what = f"tags/list of {workspace.repo}"
    first = settle("tags", what, lambda: workspace.client.tags_list(workspace.repo), tags_showing(held))
    compare_tag_list(full_tag_list(workspace.client, first, workspace.repo, what), held, (), what)


def _maintain(ws: Workspace, tag: str, pushed: Manifest, before: Manifest | None = None) -> Manifest:
    """The client steps after pushing `pushed`: pull, append its descriptor, push, read back exactly."""
    __tracebackhide__ = True
    index = appended(_start(ws, tag, pushed, before), referrer_descriptor(pushed))
    check_own_document(index)
    ws.cleanup.tag(ws.repo, tag)
    ws.cleanup.manifest(ws.repo, index.digest)
    check_manifest_pushed(ws.client.manifest_put(ws.repo, tag, index.data, index.media_type), index)
    check_manifest_served(_pull(ws, tag), index, ws.config)
    return index


@pytest.mark.rules(*CLIENT)
def test_referrers_tag_index_is_stored_and_served_byte_for_byte(
    workspace: Workspace, referrers_mechanism: str | None
) -> None:
    _require_no_api(workspace, referrers_mechanism)
    subject, _ = _push_subject(workspace)
    signature = artifact_manifest(workspace.content, artifact_type=SBOM_ARTIFACT_TYPE, subject=subject,
                                  blob_size=16, annotations={"org.example.signer": "harness",
                                                             "org.opencontainers.image.created": ""})
    _push_referrer(workspace, signature)
    tag = referrers_tag(subject.digest)
    index = _maintain(workspace, tag, signature)
    check_manifest_served(workspace.client.manifest_head(workspace.repo, tag, accept=[mt.OCI_INDEX]), index,
                          workspace.config)
    check_manifest_served(workspace.client.manifest_get(workspace.repo, index.digest, accept=[mt.OCI_INDEX]),
                          index, workspace.config)
    note(f"{tag} holds {index.document['manifests']}")


@pytest.mark.rules(*CLIENT, *FULL_LIST_RULES, *COMPARE_RULES)
def test_referrers_tag_takes_a_second_referrer_and_is_listed(
    workspace: Workspace, referrers_mechanism: str | None
) -> None:
    _require_no_api(workspace, referrers_mechanism)
    content = workspace.content
    subject, subject_tag = _push_subject(workspace)
    tag = referrers_tag(subject.digest)
    image = image_manifest(content, layer_size=16, subject=subject)  # artifactType: its config's mediaType
    _push_referrer(workspace, image)
    first = _maintain(workspace, tag, image)
    bundle = image_index([artifact_manifest(content, blob_size=16)], subject=subject,
                         artifact_type="application/vnd.example.registry-harness.set.v1",
                         annotations={"org.example.bundle": "second"})
    _push_referrer(workspace, bundle)
    second = _maintain(workspace, tag, bundle, first)
    note(f"{tag} holds {second.document['manifests']}")
    _check_tag_list(workspace, {subject_tag, tag})


@pytest.mark.feature("subject_missing")
@pytest.mark.rules(*CLIENT, manifests.SUBJECT_MISSING_ACCEPTED)
def test_referrers_tag_of_a_subject_pushed_after_its_referrer(
    workspace: Workspace, referrers_mechanism: str | None
) -> None:
    _require_no_api(workspace, referrers_mechanism)
    subject = image_manifest(workspace.content, layer_size=32)
    early = referrer(subject, workspace.content, annotations={"org.example.order": "referrer first"})
    _push_referrer(workspace, early, manifests.SUBJECT_MISSING_ACCEPTED)
    tag = referrers_tag(subject.digest)
    index = _maintain(workspace, tag, early)
    push_tree(workspace.client, workspace.repo, subject, workspace.cleanup)
    check_manifest_served(_pull(workspace, tag), index, workspace.config)


def _check_registry_index(response: Response, tag: str, pushed: list[Manifest], ws: Workspace) -> None:
    """What a registry wrote under the referrers tag: a valid image index listing each referrer (advice)."""
    __tracebackhide__ = True
    judge(pull.MANIFEST_GET_200, response.status_code == 200,
          f"pulling the referrers tag {tag} the registry maintains: {response.describe()}, expected 200")
    ws.cleanup.manifest(ws.repo, digest_bytes(response.content))
    check_digest_header(response, digest_bytes(response.content), ws.config, rule=pull.MANIFEST_DIGEST_HEADER)
    judge(pull.MANIFEST_CONTENT_TYPE, response.header("content-type") is not None,
          f"{response.describe()} carries no Content-Type")
    document = served_index(response)
    if not judge(rr.TAG_SCHEMA_REGISTRY_MAINTAINED, document is not None,
                 f"the referrers tag {tag} serves {response.content_type}, not an image index"):
        return
    check_schema(document, "image-index", f"the referrers tag {tag}", rule=rr.TAG_SCHEMA_REGISTRY_MAINTAINED)
    entries = {str(entry.get("digest")): entry for entry in (document or {}).get("manifests", [])}
    for manifest in pushed:
        expected = referrer_descriptor(manifest)
        entry = entries.get(manifest.digest)
        judge(rr.TAG_SCHEMA_REGISTRY_MAINTAINED, entry is not None,
              f"the referrers tag {tag} does not list the referrer {manifest.digest} ({sorted(entries)})")
        if entry is not None:
            _check_descriptor(entry, expected, tag)


def _check_descriptor(entry: dict[str, Any], expected: Descriptor, tag: str) -> None:
    __tracebackhide__ = True
    seen = (entry.get("mediaType"), entry.get("size"), entry.get("artifactType"))
    wanted = (expected.media_type, expected.size, expected.artifact_type)
    judge(rr.TAG_SCHEMA_REGISTRY_MAINTAINED, seen == wanted,
          f"the referrers tag {tag}: descriptor of {expected.digest} says mediaType/size/artifactType "
          f"{seen}, expected {wanted}")
    listed = entry.get("annotations") or {}
    missing = {key: value for key, value in (expected.annotations or {}).items() if listed.get(key) != value}
    judge(rr.TAG_SCHEMA_REGISTRY_MAINTAINED, not missing,
          f"the referrers tag {tag}: descriptor of {expected.digest} lacks the referrer's annotations "
          f"{missing}")


@pytest.mark.rules(pull.MANIFEST_GET_200, pull.MANIFEST_DIGEST_HEADER, pull.MANIFEST_CONTENT_TYPE,
                   rr.TAG_SCHEMA_REGISTRY_MAINTAINED, *FULL_LIST_RULES, *COMPARE_RULES)
def test_registry_maintained_referrers_tag_lists_each_referrer(
    workspace: Workspace, referrers_mechanism: str | None
) -> None:
    _require_no_api(workspace, referrers_mechanism)
    content = workspace.content
    subject, subject_tag = _push_subject(workspace)
    tag = referrers_tag(subject.digest)
    first = referrer(subject, content, annotations={"org.example.signer": "harness"})
    _push_referrer(workspace, first)
    pulled = _pull(workspace, tag)
    if pulled.status_code == 404:
        unsupported(f"referrers_mechanism: the registry does not maintain the referrers tag {tag} itself "
                    "(404 after a referrer was pushed); clients do, as the spec makes it their duty "
                    "('Maintaining the content of this tag is the responsibility of clients')")
    workspace.cleanup.tag(workspace.repo, tag)
    _check_registry_index(pulled, tag, [first], workspace)
    others = [image_manifest(content, layer_size=16, subject=subject),
              image_index([artifact_manifest(content, blob_size=16)], subject=subject,
                          annotations={"org.example.bundle": "no artifactType"})]
    for manifest in others:
        _push_referrer(workspace, manifest)
    _check_registry_index(_pull(workspace, tag), tag, [first, *others], workspace)
    _check_tag_list(workspace, {subject_tag, tag})
