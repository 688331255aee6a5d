"""Checks of a successful manifest push (end-7a, end-7b): status, headers, exact bytes, tags, read-back.

spec.md "Pushing Manifests": a successful `PUT /v2/<name>/manifests/<tag-or-digest>` MUST answer 201 with a
`Location` that is a pullable manifest URL; the registry MUST store the exact bytes; `Docker-Content-Digest`
MUST equal the client's digest. So every accepted push is read back (by its Location, its tag and its
digest). Re-pushing the same bytes is idempotent; pushing other bytes to a tag moves the tag while the old
digest stays pullable. A PUT by a digest that is not the body's is refused (400 `DIGEST_INVALID` by
convention: advice), and the digest never serves other bytes. The registry SHOULD ignore parameters on the
pushed `Content-Type`. `?tag=` parameters exist only in the spec's main branch (MAY; then MUST an `OCI-Tag`
per accepted tag, SHOULD at least 10).

Refusals: a registry MAY refuse manifests referencing blobs or child manifests it lacks, and then MUST say
`MANIFEST_BLOB_UNKNOWN`; a descriptor size that is not the blob's is such a reference (MAY: advice either
way). Invalid manifests (not JSON, schemaVersion 3, a mediaType unlike the Content-Type) are refused with 400
`MANIFEST_INVALID` by convention (api.md: advice). Sizes: registries SHOULD take manifests of at least 4
megabytes and SHOULD answer 413 over their limit. A 5xx to input the client got wrong departs from HTTP
semantics (a SHOULD of the main branch). Whatever a registry accepts is read back: stored exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from conformance.checks.documents import (
    check_error_response,
    check_manifest_pushed,
    check_manifest_served,
    check_schema,
    error_codes,
    header_values,
    json_document,
    push_children,
    push_tree,
)
from conformance.checks.manifest_push import (
    ERROR_BODY_RULES,
    PUSHED_RULES,
    SERVED_RULES,
    check_accepted_by_digest,
    check_location_serves,
    check_missing_reference_refusal,
    check_refused_as_invalid,
    push_and_check,
    push_large,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import Descriptor, Manifest, image_index, image_manifest, random_blob
from conformance.fixtures import Workspace
from conformance.ledger.rules import general, manifests, pull
from conformance.spec import media_types
from conformance.spec.digests import digest_bytes
from conformance.verdicts import judge, note, unsupported

pytestmark = [pytest.mark.push, pytest.mark.writes]

ROUND_TRIP = (*PUSHED_RULES, *SERVED_RULES)
FOUR_MEGABYTES = 4_000_000
"""spec.md's "at least 4 megabytes", read as the smaller, decimal value: a 4 MiB limit never warns."""
OVER_LIMIT_SIZE = 5 * 1024 * 1024


def _tag(content: random.Random, prefix: str) -> str:
    return f"{prefix}-{content.getrandbits(32):08x}"


def _accepted(workspace: Workspace, image: Manifest, response: Response) -> None:
    """A PUT by digest answered 201: pushed as the spec says, and the digest serves the exact manifest."""
    check_accepted_by_digest(workspace.client, workspace.repo, image, response, cleanup=workspace.cleanup,
                             config=workspace.config)


@pytest.mark.rules(*ROUND_TRIP, manifests.MANIFEST_LOCATION_PULLABLE)
def test_push_by_tag_answers_201_with_location_and_digest(workspace: Workspace) -> None:
    client, repo, content = workspace.client, workspace.repo, workspace.content
    image = image_manifest(content, layers=2)
    tag = _tag(content, "by-tag")
    pushed = push_and_check(client, repo, image, tag, workspace.cleanup)
    check_location_serves(client, pushed, image, workspace.config)
    pulled = client.manifest_get(repo, tag)
    check_manifest_served(pulled, image, workspace.config)
    check_schema(json_document(pulled, "pulled manifest", rule=manifests.MANIFEST_EXACT_BYTES),
                 image.media_type, "the pulled manifest", rule=manifests.MANIFEST_EXACT_BYTES)
    check_manifest_served(client.manifest_head(repo, tag), image, workspace.config)


@pytest.mark.rules(*ROUND_TRIP, manifests.MANIFEST_LOCATION_PULLABLE)
def test_push_by_digest_is_pullable_without_a_tag(workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    image = image_manifest(workspace.content)
    pushed = push_and_check(client, repo, image, image.digest, workspace.cleanup)
    check_location_serves(client, pushed, image, workspace.config)
    check_manifest_served(client.manifest_get(repo, image.digest), image, workspace.config)
    check_manifest_served(client.manifest_head(repo, image.digest), image, workspace.config)


@pytest.mark.rules(*ROUND_TRIP)
def test_repushing_identical_bytes_is_idempotent(workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    image = image_manifest(workspace.content)
    tag = _tag(workspace.content, "again")
    push_tree(client, repo, image, workspace.cleanup, tag)
    for reference in (tag, image.digest):
        check_manifest_pushed(client.manifest_put(repo, reference, image.data, image.media_type), image)
    check_manifest_served(client.manifest_get(repo, tag), image, workspace.config)
    check_manifest_served(client.manifest_get(repo, image.digest), image, workspace.config)


@pytest.mark.rules(*ROUND_TRIP)
def test_tag_overwrite_moves_the_tag_and_keeps_the_old_digest(workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    first, second = image_manifest(workspace.content), image_manifest(workspace.content)
    tag = _tag(workspace.content, "moving")
    push_tree(client, repo, first, workspace.cleanup, tag)
    push_and_check(client, repo, second, tag, workspace.cleanup)
    check_manifest_served(client.manifest_get(repo, tag), second, workspace.config)
    check_manifest_served(client.manifest_get(repo, first.digest), first, workspace.config)


@pytest.mark.rules(manifests.DIGEST_MISMATCH_REFUSED, general.SERVER_ERROR_FOR_CLIENT_ERROR,
                   manifests.MANIFEST_PUT_DIGEST_HEADER, pull.MANIFEST_GET_200, *ERROR_BODY_RULES)
def test_put_by_a_digest_that_does_not_match_the_body_is_400(workspace: Workspace) -> None:
    client, repo, cleanup = workspace.client, workspace.repo, workspace.cleanup
    image, other = image_manifest(workspace.content), image_manifest(workspace.content)
    push_children(client, repo, image, cleanup)
    response = client.manifest_put(repo, other.digest, image.data, image.media_type)
    what = f"PUT of manifest {image.digest} by the digest {other.digest}"
    if response.status_code == 201:
        cleanup.manifest(repo, other.digest)
        cleanup.manifest(repo, image.digest)
        judge(manifests.DIGEST_MISMATCH_REFUSED, False, f"{what}: {response.describe()}: accepted")
        header = response.content_digest
        judge(manifests.MANIFEST_PUT_DIGEST_HEADER, header is None or header == other.digest,
              f"{what}: {response.describe()}: Docker-Content-Digest {header}, not the client's digest")
    elif judge(general.SERVER_ERROR_FOR_CLIENT_ERROR, response.status_code < 500,
               f"{what}: {response.describe()}: a server error for a digest the client got wrong"):
        check_error_response(response, (400,), ("DIGEST_INVALID", "MANIFEST_INVALID"), what,
                             status_rule=manifests.DIGEST_MISMATCH_REFUSED,
                             code_rule=manifests.DIGEST_MISMATCH_REFUSED)
    stored = client.manifest_get(repo, other.digest)
    judge(
        pull.MANIFEST_GET_200,
        stored.status_code != 200 or digest_bytes(stored.content) == other.digest,
        f"after {what}, {stored.describe()} serves bytes ({digest_bytes(stored.content)}) that do not hash "
        "to the digest asked for",
    )


@pytest.mark.rules(manifests.TAG_PARAMETERS_MAY, manifests.TAG_PARAMETERS_TEN, manifests.TAG_PARAMETERS_414,
                   manifests.TAG_PARAMETERS_OCI_TAG, *ROUND_TRIP)
@pytest.mark.feature("tag_param")
def test_tag_parameters_answer_an_oci_tag_per_accepted_tag(workspace: Workspace) -> None:
    client, repo, cleanup = workspace.client, workspace.repo, workspace.cleanup
    capabilities = workspace.capabilities
    capabilities.require("tag_param")
    image = image_manifest(workspace.content)
    push_children(client, repo, image, cleanup)
    tags = [_tag(workspace.content, f"param{index}") for index in range(10)]
    response = client.manifest_put(repo, image.digest, image.data, image.media_type, tags=tags)
    if response.status_code == 414:
        note(f"{response.describe()}: 414 for 10 tag parameters (allowed: MAY)")
        judge(manifests.TAG_PARAMETERS_TEN, False, f"{response.describe()}: 10 tags per request refused")
        unsupported("tag_param: 414 for 10 tag parameters")
    cleanup.manifest(repo, image.digest)
    check_manifest_pushed(response, image)
    announced = header_values(response, "oci-tag")
    created = [tag for tag in tags if client.manifest_head(repo, tag).status_code == 200]
    for tag in created:
        cleanup.tag(repo, tag)
    if not announced:
        judge(manifests.TAG_PARAMETERS_OCI_TAG, not created,
              f"{response.describe()} created the tags {created} but sent no OCI-Tag header")
        capabilities.record("tag_param", False, "PUT manifests/<digest>?tag= answered no OCI-Tag",
                            evidence=response.describe())
        unsupported("tag_param: no OCI-Tag header on PUT manifests/<digest>?tag=")
    capabilities.record("tag_param", True, f"OCI-Tag announced {len(announced)} tags",
                        evidence=response.describe())
    unknown = [tag for tag in announced if tag not in tags]
    judge(manifests.TAG_PARAMETERS_OCI_TAG, not unknown,
          f"OCI-Tag announces tags that were not requested: {unknown}")
    missing = [tag for tag in announced if tag not in created]
    judge(manifests.TAG_PARAMETERS_OCI_TAG, not missing,
          f"OCI-Tag announces {missing} but a HEAD of those tags does not answer 200")
    unnamed = [tag for tag in created if tag not in announced]
    judge(manifests.TAG_PARAMETERS_OCI_TAG, not unnamed,
          f"the tags {unnamed} were created but OCI-Tag omits them")
    judge(manifests.TAG_PARAMETERS_TEN, len(announced) == len(tags),
          f"only {len(announced)} of 10 tags accepted (SHOULD support at least 10)")
    for tag in announced:
        check_manifest_served(client.manifest_get(repo, tag), image, workspace.config)


@pytest.mark.rules(manifests.CONTENT_TYPE_PARAMETERS_IGNORED, *ROUND_TRIP)
def test_content_type_parameters_on_push_are_ignored(workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    image = image_manifest(workspace.content)
    push_children(client, repo, image, workspace.cleanup)
    response = client.manifest_put(repo, image.digest, image.data, f"{image.media_type}; charset=utf-8")
    if not judge(manifests.CONTENT_TYPE_PARAMETERS_IGNORED, response.status_code == 201,
                 f"{response.describe()}: a PUT with Content-Type {image.media_type}; charset=utf-8 was not "
                 f"accepted as {image.media_type} is: {response.text[:200]}"):
        return
    _accepted(workspace, image, response)


# refusals -------------------------------------------------------------------------------------------
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
    return image_index([present], extra_entries=[absent.descriptor()])


SPARSE_CASES = {"unknown-layer": _sparse_image, "unknown-index-child": _sparse_index}


@pytest.mark.rules(manifests.MISSING_REFERENCES_MAY_REJECT, manifests.MANIFEST_BLOB_UNKNOWN_ON_REJECT,
                   general.SERVER_ERROR_FOR_CLIENT_ERROR, *ROUND_TRIP, *ERROR_BODY_RULES)
@pytest.mark.parametrize("case", sorted(SPARSE_CASES))
def test_manifest_referencing_unknown_content_is_accepted_or_manifest_blob_unknown(
    case: str, workspace: Workspace
) -> None:
    client, repo = workspace.client, workspace.repo
    manifest = SPARSE_CASES[case](client, repo, workspace.content, workspace.cleanup)
    tag = _tag(workspace.content, "sparse")
    response = client.manifest_put(repo, tag, manifest.data, manifest.media_type)
    if response.status_code == 201:
        workspace.cleanup.manifest(repo, manifest.digest)
        note(f"{case}: the registry accepts manifests referencing content it does not hold (sparse)")
        check_manifest_pushed(response, manifest)
        check_manifest_served(client.manifest_get(repo, tag), manifest, workspace.config)
        return
    if workspace.config.enabled("sparse"):
        judge(manifests.MISSING_REFERENCES_MAY_REJECT, False,
              f"{case}: {response.describe()}: the run expects sparse manifests accepted (--with-sparse)")
    check_missing_reference_refusal(response, f"refusing a manifest with an {case}")


@pytest.mark.rules(manifests.WRONG_SIZE_MAY_REJECT, general.SERVER_ERROR_FOR_CLIENT_ERROR, *ROUND_TRIP,
                   *ERROR_BODY_RULES)
def test_manifest_with_a_wrong_descriptor_size_is_refused(workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    layer = random_blob(workspace.content, 300, media_type=media_types.OCI_LAYER_TAR_GZIP)
    image = image_manifest(workspace.content, layers=[layer])
    push_children(client, repo, image, workspace.cleanup)
    document = dict(image.document)
    document["layers"] = [Descriptor(layer.media_type, layer.digest, layer.size + 1).to_dict()]
    wrong = Manifest(document=document, media_type=image.media_type, blobs_to_push=image.blobs_to_push)
    response = client.manifest_put(repo, wrong.digest, wrong.data, wrong.media_type)
    what = f"a layer descriptor of size {layer.size + 1} for a {layer.size}-byte blob"
    if response.status_code == 201:
        judge(manifests.WRONG_SIZE_MAY_REJECT, False, f"{response.describe()}: {what} was accepted (allowed)")
        _accepted(workspace, wrong, response)
        return
    if judge(general.SERVER_ERROR_FOR_CLIENT_ERROR, response.status_code < 500,
             f"{response.describe()}: a server error to refuse {what}"):
        codes = error_codes(response) or []
        judge(manifests.WRONG_SIZE_MAY_REJECT, {"MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID"} & set(codes),
              f"{response.describe()}: refusing {what} with {codes or 'no error codes'} "
              "(MANIFEST_BLOB_UNKNOWN or MANIFEST_INVALID would name the cause)")


def _schema_version_3(image: Manifest) -> bytes:
    return image.data.replace(b'"schemaVersion":2', b'"schemaVersion":3', 1)


INVALID_MANIFESTS: dict[str, Callable[[Manifest], bytes]] = {
    "not-json": lambda image: image.data[:-1] + b",",
    "schema-version-3": _schema_version_3,
    "json-array": lambda image: b"[" + image.data + b"]",
}
INVALID_RULES = (manifests.INVALID_MANIFEST_400, general.SERVER_ERROR_FOR_CLIENT_ERROR, pull.MANIFEST_GET_200,
                 manifests.MANIFEST_EXACT_BYTES, *ERROR_BODY_RULES)


@pytest.mark.rules(*INVALID_RULES)
@pytest.mark.parametrize("case", sorted(INVALID_MANIFESTS))
def test_invalid_manifest_is_refused_as_manifest_invalid(case: str, workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    image = image_manifest(workspace.content)
    push_children(client, repo, image, workspace.cleanup)
    body, tag = INVALID_MANIFESTS[case](image), _tag(workspace.content, case)
    response = client.manifest_put(repo, tag, body, image.media_type)
    if response.status_code == 201:
        workspace.cleanup.manifest(repo, digest_bytes(body))
    check_refused_as_invalid(client, repo, tag, response, body=body, case=case)


@pytest.mark.rules(*INVALID_RULES)
def test_media_type_unlike_content_type_is_refused_as_manifest_invalid(workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    image = image_manifest(workspace.content)
    push_children(client, repo, image, workspace.cleanup)
    tag = _tag(workspace.content, "mismatch")
    response = client.manifest_put(repo, tag, image.data, media_types.OCI_INDEX)
    if response.status_code == 201:
        workspace.cleanup.manifest(repo, image.digest)
    check_refused_as_invalid(client, repo, tag, response, body=image.data,
                             case="mediaType image manifest sent as Content-Type image index")


@pytest.mark.rules(manifests.SIZE_AT_LEAST_4MB, *ROUND_TRIP)
@pytest.mark.feature("large_manifest")
def test_manifest_just_under_four_megabytes_is_accepted(workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    image, response = push_large(client, repo, workspace.content, workspace.cleanup, FOUR_MEGABYTES - 1024)
    if judge(manifests.SIZE_AT_LEAST_4MB, response.status_code == 201,
             f"{response.describe()}: registries SHOULD take manifests of at least 4 megabytes ({image.size} "
             f"bytes refused): {response.text[:200]}"):
        _accepted(workspace, image, response)


@pytest.mark.rules(manifests.SIZE_LIMIT_413, *ROUND_TRIP)
@pytest.mark.feature("large_manifest")
def test_manifest_over_the_limit_is_413(workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    image, response = push_large(client, repo, workspace.content, workspace.cleanup, OVER_LIMIT_SIZE)
    if response.status_code == 201:
        note(f"the registry accepts {image.size}-byte manifests (its limit, if any, is higher)")
        _accepted(workspace, image, response)
        return
    judge(manifests.SIZE_LIMIT_413, response.status_code == 413,
          f"{response.describe()}: a registry refusing a manifest over its size limit SHOULD answer 413 "
          f"({image.size} bytes)")
