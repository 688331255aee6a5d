"""Checks of manifest push (end-7a, end-7b): status, headers, exact bytes, tags, refusals, size limits.

The spec (spec.md "Pushing Manifests"): a successful `PUT /v2/<name>/manifests/<tag-or-digest>` answers 201
with a `Location` of a pullable manifest; the registry MUST store the exact bytes; `Docker-Content-Digest`
MUST equal the client's digest. Pushing by digest makes the manifest pullable by that digest without any tag;
re-pushing the same bytes is idempotent; pushing other bytes to a tag moves the tag while the old digest
stays pullable. A PUT by a digest that does not match the body is refused (400, `DIGEST_INVALID` or
`MANIFEST_INVALID`). `?tag=` parameters are optional; a registry honouring them MUST answer an `OCI-Tag` per
accepted tag and SHOULD take at least 10. A registry MAY refuse manifests referencing blobs or child
manifests it lacks, and then MUST say `MANIFEST_BLOB_UNKNOWN` (with 400). Size: registries SHOULD accept at
least 4 megabytes and SHOULD answer 413 above their limit. Invalid manifests (not JSON, schemaVersion other
than 2, mediaType unlike Content-Type) are refused with 400 `MANIFEST_INVALID` by convention (the error
table); the spec states no MUST here, so acceptance and other 4xx codes are warnings. A descriptor whose
size differs from the stored blob SHOULD be refused (it references content the registry does not hold).
The registry SHOULD ignore parameters on the pushed `Content-Type`. Whatever the input, a 5xx is a failure:
the endpoint's failures are client errors (end-7: 404, 413; the error table's 400 codes).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.documents import (
    check_error_response,
    check_manifest_pushed,
    check_manifest_served,
    check_schema,
    header_values,
    json_document,
    push_children,
    push_tree,
)
from conformance.checks.manifest_push import (
    PUSH,
    check_accepted_by_digest,
    check_location_serves,
    check_refused_as_invalid,
    push_and_check,
    push_large,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient
from conformance.content import Descriptor, Manifest, image_index, image_manifest, random_blob
from conformance.options import RunConfig
from conformance.spec import media_types
from conformance.verdicts import must, note, should, unsupported

pytestmark = [pytest.mark.push, pytest.mark.writes]

FOUR_MEGABYTES = 4_000_000
"""spec.md's "at least 4 megabytes", read as the smaller, decimal value: a 4 MB limit never fails."""
OVER_LIMIT_SIZE = 5 * 1024 * 1024


def _tag(content: random.Random, prefix: str) -> str:
    return f"{prefix}-{content.getrandbits(32):08x}"


@pytest.mark.spec("end-7a", PUSH)
@pytest.mark.level("MUST")
def test_push_by_tag_answers_201_with_location_and_digest(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, registry_config: RunConfig
) -> None:
    image = image_manifest(content, layers=2)
    tag = _tag(content, "by-tag")
    check_location_serves(client, push_and_check(client, repo, image, tag, cleanup), image, registry_config)
    pulled = client.manifest_get(repo, tag)
    check_manifest_served(pulled, image, registry_config)
    check_schema(
        json_document(pulled, "pulled manifest"), image.media_type, "the pulled manifest", should_layer=False
    )


@pytest.mark.spec("end-7a", "end-3", PUSH)
@pytest.mark.level("MUST")
def test_push_by_digest_is_pullable_without_a_tag(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, registry_config: RunConfig
) -> None:
    image = image_manifest(content)
    response = push_and_check(client, repo, image, image.digest, cleanup)
    check_location_serves(client, response, image, registry_config)
    check_manifest_served(client.manifest_get(repo, image.digest), image, registry_config)
    check_manifest_served(client.manifest_head(repo, image.digest), image, registry_config)


@pytest.mark.spec("end-7a", PUSH)
@pytest.mark.level("MUST")
def test_repushing_identical_bytes_is_idempotent(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, registry_config: RunConfig
) -> None:
    image = image_manifest(content)
    tag = _tag(content, "again")
    push_tree(client, repo, image, cleanup, tag)
    for reference in (tag, image.digest):
        again = client.manifest_put(repo, reference, image.data, image.media_type)
        check_manifest_pushed(again, image)
    check_manifest_served(client.manifest_get(repo, tag), image, registry_config)
    check_manifest_served(client.manifest_get(repo, image.digest), image, registry_config)


@pytest.mark.spec("end-7a", "end-3", PUSH)
@pytest.mark.level("MUST")
def test_tag_overwrite_moves_the_tag_and_keeps_the_old_digest(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, registry_config: RunConfig
) -> None:
    first = image_manifest(content)
    second = image_manifest(content)
    tag = _tag(content, "moving")
    push_tree(client, repo, first, cleanup, tag)
    push_and_check(client, repo, second, tag, cleanup)
    check_manifest_served(client.manifest_get(repo, tag), second, registry_config)
    check_manifest_served(client.manifest_get(repo, first.digest), first, registry_config)


@pytest.mark.spec("end-7a", PUSH, "code-4", "code-6")
@pytest.mark.level("MUST")
def test_put_by_a_digest_that_does_not_match_the_body_is_400(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup
) -> None:
    image = image_manifest(content)
    other = image_manifest(content)
    push_children(client, repo, image, cleanup)
    response = client.manifest_put(repo, other.digest, image.data, image.media_type)
    if response.status_code == 201:
        cleanup.manifest(repo, other.digest)
        cleanup.manifest(repo, image.digest)
    check_error_response(
        response,
        (400,),
        ("DIGEST_INVALID", "MANIFEST_INVALID"),
        "PUT by a digest that is not the body's",
        ref=PUSH,
    )
    stored = client.manifest_get(repo, other.digest)
    must(
        stored.status_code == 404 or stored.content == other.data,
        f"after the refused PUT, {stored.describe()} serves bytes that do not hash to the requested digest",
        ref=PUSH,
    )


@pytest.mark.spec("end-7b", PUSH)
@pytest.mark.level("MUST")
@pytest.mark.feature("tag_param")
def test_tag_parameters_answer_an_oci_tag_per_accepted_tag(
    client: RegistryClient,
    *,
    repo: str,
    content: random.Random,
    cleanup: Cleanup,
    registry_config: RunConfig,
    capabilities: Capabilities,
) -> None:
    capabilities.require("tag_param")
    image = image_manifest(content)
    push_children(client, repo, image, cleanup)
    tags = [_tag(content, f"param{index}") for index in range(10)]
    response = client.manifest_put(repo, image.digest, image.data, image.media_type, tags=tags)
    if response.status_code == 414:
        should(
            False,
            f"{response.describe()}: the spec asks registries to take at least 10 tags per request",
            ref=PUSH,
        )
        unsupported("tag_param: 414 for 10 tag parameters")
    cleanup.manifest(repo, image.digest)
    check_manifest_pushed(response, image, ref="end-7b")
    announced = header_values(response, "oci-tag")
    created = [tag for tag in tags if client.manifest_head(repo, tag).status_code == 200]
    for tag in created:
        cleanup.tag(repo, tag)
    if not announced:
        must(
            not created, f"{response.describe()} created tags {created} but sent no OCI-Tag header", ref=PUSH
        )
        capabilities.record(
            "tag_param",
            False,
            "PUT manifests/<digest>?tag= answered no OCI-Tag",
            evidence=response.describe(),
        )
        unsupported("tag_param: no OCI-Tag header on PUT manifests/<digest>?tag=")
    capabilities.record(
        "tag_param", True, f"OCI-Tag announced {len(announced)} tags", evidence=response.describe()
    )
    unknown = [tag for tag in announced if tag not in tags]
    must(not unknown, f"OCI-Tag announces tags that were not requested: {unknown}", ref=PUSH)
    missing = [tag for tag in announced if tag not in created]
    must(not missing, f"OCI-Tag announces {missing} but HEAD of those tags does not answer 200", ref=PUSH)
    should(
        len(announced) == len(tags),
        f"only {len(announced)} of 10 tags accepted (SHOULD support 10)",
        ref=PUSH,
    )
    for tag in announced:
        check_manifest_served(client.manifest_get(repo, tag), image, registry_config)


def _sparse_image(client: RegistryClient, repo: str, rng: random.Random, cleanup: Cleanup) -> Manifest:
    """An image whose second layer is never pushed (its other blobs are)."""
    missing = random_blob(rng, 64, media_type=media_types.OCI_LAYER_TAR_GZIP)
    pushed = random_blob(rng, 64, media_type=media_types.OCI_LAYER_TAR_GZIP)
    image = image_manifest(rng, layers=[pushed, missing])
    for blob in image.blobs_to_push:
        if blob.digest != missing.digest:
            client.push_blob(repo, blob)
            cleanup.blob(repo, blob.digest)
    return image


def _sparse_index(client: RegistryClient, repo: str, rng: random.Random, cleanup: Cleanup) -> Manifest:
    """An index whose second child manifest is never pushed (the first one is)."""
    present, absent = image_manifest(rng, layer_size=16), image_manifest(rng, layer_size=16)
    push_tree(client, repo, present, cleanup)
    index = image_index([present], extra_entries=[absent.descriptor()])
    return index


SPARSE_CASES = {"unknown-layer": _sparse_image, "unknown-index-child": _sparse_index}


@pytest.mark.spec(PUSH, "code-5", "spec.md#push")
@pytest.mark.level("MUST")
@pytest.mark.parametrize("case", sorted(SPARSE_CASES))
def test_manifest_referencing_unknown_content_is_accepted_or_manifest_blob_unknown(
    case: str,
    client: RegistryClient,
    repo: str,
    content: random.Random,
    *,
    cleanup: Cleanup,
    registry_config: RunConfig,
) -> None:
    manifest = SPARSE_CASES[case](client, repo, content, cleanup)
    response = client.manifest_put(repo, _tag(content, "sparse"), manifest.data, manifest.media_type)
    if response.status_code == 201:
        cleanup.manifest(repo, manifest.digest)
        note(
            f"{case}: the registry accepts manifests referencing content it does not hold (sparse manifests)"
        )
        check_manifest_pushed(response, manifest)
        return
    must(
        not registry_config.enabled("sparse"),
        f"{response.describe()}: sparse manifests are expected to be accepted (--with-sparse)",
        ref=PUSH,
    )
    check_error_response(
        response,
        (400,),
        ("MANIFEST_BLOB_UNKNOWN",),
        f"refusing a manifest with an {case}",
        ref="spec.md#push",
    )


@pytest.mark.spec(PUSH, "image-spec descriptor.md#properties")
@pytest.mark.level("SHOULD")
def test_manifest_with_a_wrong_descriptor_size_is_refused(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup
) -> None:
    layer = random_blob(content, 300, media_type=media_types.OCI_LAYER_TAR_GZIP)
    image = image_manifest(content, layers=[layer])
    push_children(client, repo, image, cleanup)
    document = dict(image.document)
    document["layers"] = [Descriptor(layer.media_type, layer.digest, layer.size + 1).to_dict()]
    wrong = Manifest(document=document, media_type=image.media_type, blobs_to_push=image.blobs_to_push)
    response = client.manifest_put(repo, wrong.digest, wrong.data, wrong.media_type)
    if response.status_code == 201:
        cleanup.manifest(repo, wrong.digest)
    should(
        response.status_code != 201,
        f"{response.describe()}: a layer descriptor of size {layer.size + 1} for a {layer.size}-byte blob "
        "was "
        "accepted: the manifest references content the registry does not hold",
        ref=PUSH,
    )
    if response.status_code != 201:
        check_error_response(
            response,
            (400,),
            ("MANIFEST_INVALID", "MANIFEST_BLOB_UNKNOWN"),
            "refusing a descriptor of the wrong size",
            ref=PUSH,
            code_level="should",
        )


def _schema_version_3(image: Manifest) -> bytes:
    return image.data.replace(b'"schemaVersion":2', b'"schemaVersion":3', 1)


INVALID_MANIFESTS: dict[str, Callable[[Manifest], bytes]] = {
    "not-json": lambda image: image.data[:-1] + b",",
    "schema-version-3": _schema_version_3,
    "json-array": lambda image: b"[" + image.data + b"]",
}


@pytest.mark.spec(PUSH, "code-6")
@pytest.mark.level("SHOULD")
@pytest.mark.parametrize("case", sorted(INVALID_MANIFESTS))
def test_invalid_manifest_is_refused_as_manifest_invalid(
    case: str, client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup
) -> None:
    image = image_manifest(content)
    push_children(client, repo, image, cleanup)
    body = INVALID_MANIFESTS[case](image)
    check_refused_as_invalid(client.manifest_put(repo, _tag(content, case), body, image.media_type), case)


@pytest.mark.spec(PUSH, "code-6")
@pytest.mark.level("SHOULD")
def test_media_type_unlike_content_type_is_refused_as_manifest_invalid(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup
) -> None:
    image = image_manifest(content)
    push_children(client, repo, image, cleanup)
    response = client.manifest_put(repo, _tag(content, "mismatch"), image.data, media_types.OCI_INDEX)
    if response.status_code == 201:
        cleanup.manifest(repo, image.digest)
    check_refused_as_invalid(response, "mediaType image manifest sent as Content-Type image index")


@pytest.mark.spec(PUSH, "end-7a")
@pytest.mark.level("SHOULD")
@pytest.mark.feature("large_manifest")
def test_manifest_just_under_four_megabytes_is_accepted(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, registry_config: RunConfig
) -> None:
    image, response = push_large(client, repo, content, cleanup, FOUR_MEGABYTES - 1024)
    if response.status_code != 201:
        should(
            False,
            f"{response.describe()}: registries SHOULD accept manifests of at least 4 megabytes "
            f"({image.size} bytes refused)",
            ref=PUSH,
        )
        return
    check_accepted_by_digest(client, repo, image, response, cleanup=cleanup, config=registry_config)


@pytest.mark.spec(PUSH, "end-7a")
@pytest.mark.level("SHOULD")
@pytest.mark.feature("large_manifest")
def test_manifest_over_the_limit_is_413(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, registry_config: RunConfig
) -> None:
    image, response = push_large(client, repo, content, cleanup, OVER_LIMIT_SIZE)
    if response.status_code == 201:
        note(f"the registry accepts {image.size}-byte manifests (its limit, if any, is higher)")
        check_accepted_by_digest(client, repo, image, response, cleanup=cleanup, config=registry_config)
        return
    should(
        response.status_code == 413,
        f"{response.describe()}: a registry refusing a manifest over its size limit SHOULD answer 413",
        ref=PUSH,
    )


@pytest.mark.spec(PUSH, "spec.md#pulling-manifests")
@pytest.mark.level("SHOULD")
def test_content_type_parameters_on_push_are_ignored(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, registry_config: RunConfig
) -> None:
    image = image_manifest(content)
    push_children(client, repo, image, cleanup)
    response = client.manifest_put(repo, image.digest, image.data, f"{image.media_type}; charset=utf-8")
    must(
        response.status_code < 500,
        f"{response.describe()}: server error for a Content-Type parameter",
        ref=PUSH,
    )
    if response.status_code != 201:
        should(
            False, f"{response.describe()}: the registry SHOULD ignore parameters on Content-Type", ref=PUSH
        )
        return
    check_accepted_by_digest(client, repo, image, response, cleanup=cleanup, config=registry_config)
