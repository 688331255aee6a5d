"""Round trips of every manifest format: OCI images, indexes, artifacts, subjects, Docker types.

Each case is pushed children first (blobs, then child manifests by digest, then the top manifest by tag) and
pulled back by tag and by digest (GET and HEAD) and every child by digest: 200, the exact bytes (spec.md: the
registry MUST store the exact byte representation), `Docker-Content-Digest`, `Content-Length`, and a
`Content-Type` that SHOULD equal the pushed type; every pulled document is validated against our schemas.
Content rules: unknown fields, media types and artifact types MUST NOT cause errors (image-spec); `layers:
[]` is allowed (the list of blobs MAY be empty); a manifest whose `subject` does not exist MUST be accepted;
with the referrers API a subject push MUST answer `OCI-Subject`, without it `OCI-Subject` MUST be absent.
Layers that are never pushed (non-distributable OCI layers and Docker foreign layers, both with `urls`): a
registry MAY refuse manifests referencing blobs it lacks, but then MUST answer `MANIFEST_BLOB_UNKNOWN`; such
a refusal ends the check as unsupported, any other refusal (a 5xx, another code) fails it. sha512 is optional
(refusal -> unsupported).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.documents import (
    check_error_response,
    check_manifest_pushed,
    check_manifest_served,
    check_own_document,
    check_schema,
    check_subject_header,
    json_document,
    push_children,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response, SetupFailed
from conformance.content import (
    Descriptor,
    Manifest,
    artifact_manifest,
    docker_manifest,
    docker_manifest_list,
    image_index,
    image_manifest,
    index_referrer,
    multi_platform_index,
    nested_index,
    referrer,
)
from conformance.options import RunConfig
from conformance.spec.digests import digest_bytes
from conformance.verdicts import must, note, unsupported

pytestmark = [pytest.mark.push, pytest.mark.pull, pytest.mark.writes, pytest.mark.formats]

PUSH = "spec.md#pushing-manifests"
EXAMPLE_TYPE = "application/vnd.example.registry-harness.custom.v1"


@dataclass(frozen=True)
class Case:
    """What one format case pushes: `top` (by tag), and a `subject` pushed first when given."""

    top: Manifest
    subject: Manifest | None = None
    subject_digest: str | None = None
    never_pushed: str | None = None
    """Why some referenced blobs are never pushed (then MANIFEST_BLOB_UNKNOWN is an allowed refusal)."""


def _subject_case(rng: random.Random) -> Case:
    subject = image_manifest(rng)
    return Case(
        referrer(subject, rng, annotations={"org.example.kind": "signature"}), subject, subject.digest
    )


def _missing_subject_case(rng: random.Random) -> Case:
    ghost = Descriptor(image_manifest(rng).media_type, digest_bytes(rng.randbytes(64)), 1234)
    return Case(referrer(ghost, rng), None, ghost.digest)


def _index_subject_case(rng: random.Random) -> Case:
    subject = multi_platform_index(rng, platforms=({"architecture": "amd64", "os": "linux"},))
    children = [artifact_manifest(rng, subject=subject)]
    return Case(
        index_referrer(subject, children, annotations={"org.example.kind": "sbom-set"}),
        subject,
        subject.digest,
    )


def _custom_fields_case(rng: random.Random) -> Case:
    image = image_manifest(
        rng,
        extra_fields={"org.example.custom": {"nested": [1, "two", None]}},
        annotations={"org.example.note": ""},
    )
    return Case(image_index([image], extra_fields={"org.example.index-field": 42}))


def _data_field_case(rng: random.Random) -> Case:
    image = image_manifest(rng, config_data=True)
    with_data = Descriptor(
        image.media_type,
        image.digest,
        image.size,
        data=image.data,
        platform={"architecture": "amd64", "os": "linux"},
    )
    index = image_index([], extra_entries=[with_data])
    return Case(Manifest(document=index.document, media_type=index.media_type, children=(image,)))


CASES: dict[str, tuple[Callable[[random.Random], Case], tuple[str, ...]]] = {
    "oci-image": (lambda rng: Case(image_manifest(rng, layers=2)), ()),
    "oci-image-uncompressed-layers": (lambda rng: Case(image_manifest(rng, compressed_layers=False)), ()),
    "oci-index": (lambda rng: Case(multi_platform_index(rng)), ("index",)),
    "oci-nested-index": (lambda rng: Case(nested_index(rng)), ("nested_index",)),
    "oci-empty-index": (lambda rng: Case(image_index([])), ("index",)),
    "artifact": (lambda rng: Case(artifact_manifest(rng, artifact_type=EXAMPLE_TYPE)), ("artifact",)),
    "artifact-without-layers": (lambda rng: Case(artifact_manifest(rng, blobs=0)), ("artifact",)),
    "artifact-index": (
        lambda rng: Case(
            image_index([artifact_manifest(rng), artifact_manifest(rng)], artifact_type=EXAMPLE_TYPE)
        ),
        ("artifact_index",),
    ),
    "subject": (_subject_case, ("subject",)),
    "missing-subject": (_missing_subject_case, ("subject_missing",)),
    "index-with-subject": (_index_subject_case, ("subject_index",)),
    "data-field": (_data_field_case, ("data_field",)),
    "custom-fields": (_custom_fields_case, ("custom_fields",)),
    "no-layers": (lambda rng: Case(image_manifest(rng, layers=0)), ("empty_layers",)),
    "non-distributable-layers": (
        lambda rng: Case(image_manifest(rng, non_distributable_layers=2), never_pushed="non-distributable"),
        ("nondistributable",),
    ),
    "docker-schema2": (lambda rng: Case(docker_manifest(rng, layers=2)), ("docker_formats",)),
    "docker-manifest-list": (
        lambda rng: Case(
            docker_manifest_list(
                [
                    docker_manifest(rng),
                    docker_manifest(rng, platform={"architecture": "arm64", "os": "linux", "variant": "v8"}),
                ]
            )
        ),
        ("docker_formats",),
    ),
    "docker-foreign-layers": (
        lambda rng: Case(docker_manifest(rng, foreign_layers=1), never_pushed="foreign"),
        ("docker_formats", "nondistributable"),
    ),
}


def _params() -> list[object]:
    return [
        pytest.param(name, marks=[pytest.mark.feature(*features)] if features else [], id=name)
        for name, (_, features) in CASES.items()
    ]


def _tag_for(name: str, rng: random.Random) -> str:
    return f"{name}-{rng.getrandbits(32):08x}"


def _push_top(
    client: RegistryClient, repo: str, case: Case, tag: str, *, cleanup: Cleanup, capabilities: Capabilities
) -> Response:
    top = case.top
    response = client.manifest_put(repo, tag, top.data, top.media_type)
    if response.status_code == 201:
        cleanup.manifest(repo, top.digest)
        return response
    if case.never_pushed is not None:
        must(
            response.status_code < 500,
            f"{response.describe()}: server error for a manifest with {case.never_pushed} layers",
            ref=PUSH,
        )
        check_error_response(
            response,
            (400,),
            ("MANIFEST_BLOB_UNKNOWN",),
            f"refusing a manifest with {case.never_pushed} layers that are never pushed",
            ref="spec.md#push",
        )
        capabilities.record(
            f"{case.never_pushed}_layers",
            False,
            "manifest refused with MANIFEST_BLOB_UNKNOWN",
            evidence=response.describe(),
        )
        unsupported(
            f"{case.never_pushed} layers: the registry requires every layer blob (MANIFEST_BLOB_UNKNOWN)"
        )
    if not top.document.get("layers", True) and 400 <= response.status_code < 500:
        check_error_response(
            response,
            range(400, 500),
            ("MANIFEST_INVALID",),
            "refusing layers: []",
            ref=PUSH,
            code_level="should",
        )
        capabilities.record(
            "empty_layers", False, "manifest with layers: [] refused", evidence=response.describe()
        )
        unsupported("empty_layers: the registry refuses image manifests without layers")
    check_manifest_pushed(response, top)
    return response


@pytest.mark.spec("end-7a", "end-3", PUSH, "spec.md#pulling-manifests")
@pytest.mark.level("MUST")
@pytest.mark.parametrize("name", _params())
def test_format_round_trips_byte_for_byte(
    name: str,
    *,
    client: RegistryClient,
    repo: str,
    content: random.Random,
    cleanup: Cleanup,
    registry_config: RunConfig,
    capabilities: Capabilities,
    referrers_supported: bool,
) -> None:
    case = CASES[name][0](content)
    for manifest in (case.top, *case.top.children, *([case.subject] if case.subject else [])):
        check_own_document(manifest)
    if case.subject is not None:
        push_children(client, repo, case.subject, cleanup)
        client.push_manifest(repo, None, case.subject)
        cleanup.manifest(repo, case.subject.digest)
    push_children(client, repo, case.top, cleanup)
    tag = _tag_for(name, content)
    pushed = _push_top(client, repo, case, tag, cleanup=cleanup, capabilities=capabilities)
    if case.subject_digest is not None:
        api = referrers_supported if registry_config.enabled("referrers") else None
        check_subject_header(pushed, case.subject_digest, api)
    _check_pulled_back(client, repo, case.top, tag, registry_config)


def _check_pulled_back(client: RegistryClient, repo: str, top: Manifest, tag: str, config: RunConfig) -> None:
    for reference in (tag, top.digest):
        pulled = client.manifest_get(repo, reference)
        check_manifest_served(pulled, top, config)
        check_schema(
            json_document(pulled, f"{top.media_type} pulled by {reference}"),
            top.media_type,
            f"the {top.media_type} pulled by {reference}",
            should_layer=False,
        )
        check_manifest_served(client.manifest_head(repo, reference), top, config)
    for child in _descendants(top):
        pulled = client.manifest_get(repo, child.digest)
        check_manifest_served(pulled, child, config)
        check_schema(
            json_document(pulled, f"child {child.digest}"),
            child.media_type,
            f"the child {child.media_type} {child.digest}",
            should_layer=False,
        )


def _descendants(manifest: Manifest) -> list[Manifest]:
    found: dict[str, Manifest] = {}
    stack = list(manifest.children)
    while stack:
        child = stack.pop()
        if child.digest not in found:
            found[child.digest] = child
            stack.extend(child.children)
    return list(found.values())


@pytest.mark.spec("end-7a", "end-3", PUSH, "image-spec descriptor.md#digests")
@pytest.mark.level("MUST")
@pytest.mark.feature("sha512")
def test_sha512_index_and_images_round_trip_by_digest(
    client: RegistryClient,
    *,
    repo: str,
    content: random.Random,
    cleanup: Cleanup,
    registry_config: RunConfig,
    capabilities: Capabilities,
) -> None:
    capabilities.require("sha512")
    index = multi_platform_index(
        content, platforms=({"architecture": "amd64", "os": "linux"},), algorithm="sha512"
    )
    try:
        push_children(client, repo, index, cleanup)
    except SetupFailed as exc:
        status = exc.transcript.entries[-1].status if exc.transcript and exc.transcript.entries else None
        if status is not None and 400 <= status < 500:
            capabilities.record("sha512", False, f"sha512 upload refused with {status}", source="formats")
            unsupported(f"sha512: the registry refuses sha512 content ({status})")
        raise
    response = client.manifest_put(repo, index.digest, index.data, index.media_type)
    if 400 <= response.status_code < 500:
        capabilities.record(
            "sha512", False, f"sha512 manifest refused: {response.status_code}", source="formats"
        )
        note(f"sha512 blobs and child manifests accepted but the index was refused: {response.describe()}")
        unsupported(f"sha512: PUT of a sha512 index answered {response.status_code}")
    cleanup.manifest(repo, index.digest)
    check_manifest_pushed(response, index)
    capabilities.record("sha512", True, "sha512 blobs and manifests pushed and pulled", source="formats")
    for manifest in (index, *_descendants(index)):
        check_manifest_served(client.manifest_get(repo, manifest.digest), manifest, registry_config)
        check_manifest_served(client.manifest_head(repo, manifest.digest), manifest, registry_config)
