"""Checks of manifest pulls: `GET` / `HEAD /v2/<name>/manifests/<tag-or-digest>` (end-3).

The spec (spec.md "Pulling manifests", "Checking if content exists"): GET of an existing manifest, by tag
or by digest, MUST answer 200 with the manifest (we compare the bytes we pushed, and validate the document
against its schema); HEAD MUST answer 200 with `Content-Length` = the manifest size and no body; a
successful GET or HEAD MUST carry `Docker-Content-Digest` (spec text; the official 1.1 preset treats it as
optional, we require it unless `--no-digest-header` / OCI_API_MANIFESTS_DIGEST_HEADER=false, then a
missing header is a note), and when present it MUST name the manifest. `Content-Type` SHOULD be the media
type the client pushed and SHOULD NOT carry parameters. A manifest that is not in the repository MUST get
404 for GET and HEAD, by tag and by digest (also a digest pushed only to another repository), and so MUST
any manifest of a repository that does not exist;
a JSON error body MUST be an OCI envelope, whose code SHOULD be `MANIFEST_UNKNOWN` (or `NAME_UNKNOWN` for
a missing repository).
"""

from __future__ import annotations

import json
import random
import secrets

import pytest

import schemas
from conformance.checks.transfers import check_digest_header, check_error, same_connection_still_usable
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import Manifest, image_index, image_manifest
from conformance.options import RunConfig
from conformance.spec.digests import digest_bytes
from conformance.verdicts import must, note, should

pytestmark = [pytest.mark.pull]

KINDS = ["image-manifest", "image-index"]
REFERENCES = ["tag", "digest"]


def _build(kind: str, seed: random.Random) -> Manifest:
    if kind == "image-manifest":
        return image_manifest(seed, layers=1)
    return image_index([image_manifest(seed, layers=1, platform=("linux", "amd64")),
                        image_manifest(seed, layers=1, platform=("linux", "arm64"))])


def _push(client: RegistryClient, repo: str, manifest: Manifest, tag: str, cleanup: Cleanup) -> None:
    for blob in manifest.all_blobs():
        cleanup.blob(repo, blob.digest)
    for child in manifest.children:
        cleanup.manifest(repo, child.digest)
    cleanup.manifest(repo, manifest.digest)  # deleting by digest removes the tag too
    client.push_image(repo, manifest, tag)


def _check_content_type(response: Response, manifest: Manifest, what: str) -> None:
    value = response.header("content-type")
    should(value is not None, f"{what}: no Content-Type header", ref="spec.md#pulling-manifests")
    if value is None:
        return
    should(";" not in value, f"{what}: Content-Type {value!r} carries parameters (SHOULD NOT)",
           ref="spec.md#pulling-manifests")
    should(response.content_type == manifest.media_type,
           f"{what}: Content-Type {value!r}, expected the pushed {manifest.media_type}",
           ref="spec.md#pulling-manifests")


def _pushed(client: RegistryClient, repo: str, kind: str, seed: random.Random, cleanup: Cleanup) -> Manifest:
    manifest = _build(kind, seed)
    _push(client, repo, manifest, "pulled", cleanup)
    return manifest


def _fetch(client: RegistryClient, method: str, repo: str, reference: str) -> Response:
    """GET or HEAD of manifest `reference`."""
    return client.manifest_get(repo, reference) if method == "GET" else client.manifest_head(repo, reference)


def _pulled(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, *, kind: str, reference: str,
    method: str,
) -> tuple[Manifest, Response, str]:
    """Push a `kind` manifest tagged "pulled", then GET or HEAD it by `reference`: manifest, answer, what."""
    manifest = _pushed(client, repo, kind, content, cleanup)
    target = "pulled" if reference == "tag" else manifest.digest
    return manifest, _fetch(client, method, repo, target), f"{method} manifest by {reference}"


def _check_type_and_digest(
    response: Response, manifest: Manifest, what: str, registry_config: RunConfig, ref: str
) -> None:
    """Content-Type as pushed; Docker-Content-Digest names the manifest (required unless switched off)."""
    _check_content_type(response, manifest, what)
    check_digest_header(response, manifest.data, manifest.digest,
                        required=registry_config.enabled("digest_header"), what=what, ref=ref)


@pytest.mark.spec("end-3", "spec.md#pulling-manifests")
@pytest.mark.level("MUST")
@pytest.mark.writes
@pytest.mark.parametrize("reference", REFERENCES)
@pytest.mark.parametrize("kind", KINDS)
def test_manifest_get_returns_the_pushed_bytes_type_and_digest(
    *, client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup,
    registry_config: RunConfig, kind: str, reference: str,
) -> None:
    manifest, response, what = _pulled(client, repo, content, cleanup, kind=kind, reference=reference,
                                       method="GET")
    must(response.status_code == 200, f"{what}: {response.describe()}, expected 200", ref="end-3")
    must(response.content == manifest.data, f"{what}: the {len(response.content)} bytes served differ from "
         f"the {manifest.size} pushed (a registry MUST store manifests byte for byte)",
         ref="spec.md#pulling-manifests")
    document = json.loads(response.content)
    violations = schemas.validate(document, manifest.media_type)
    must(not violations, f"{what}: the manifest served does not validate: "
         + "; ".join(str(violation) for violation in violations), ref="spec.md#pulling-manifests")
    for violation in schemas.validate(document, manifest.media_type, level="should"):
        should(False, f"{what}: {violation}")
    length = response.header("content-length")
    if length is None:
        note(f"{what}: no Content-Length (chunked transfer)")
    else:
        must(length.strip() == str(manifest.size), f"{what}: Content-Length {length}, expected "
             f"{manifest.size}", ref="rfc9110#section-8.6")
    _check_type_and_digest(response, manifest, what, registry_config, "spec.md#pulling-manifests")


@pytest.mark.spec("end-3", "spec.md#checking-if-content-exists-in-the-registry")
@pytest.mark.level("MUST")
@pytest.mark.writes
@pytest.mark.parametrize("reference", REFERENCES)
@pytest.mark.parametrize("kind", KINDS)
def test_manifest_head_answers_200_with_length_type_digest_and_no_body(
    *, client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup,
    registry_config: RunConfig, kind: str, reference: str,
) -> None:
    manifest, response, what = _pulled(client, repo, content, cleanup, kind=kind, reference=reference,
                                       method="HEAD")
    ref = "spec.md#checking-if-content-exists-in-the-registry"
    must(response.status_code == 200, f"{what}: {response.describe()}, expected 200", ref=ref)
    length = response.header("content-length")
    must(length is not None and length.strip() == str(manifest.size),
         f"{what}: Content-Length {length!r}, expected {manifest.size} (MUST on HEAD)", ref=ref)
    must(response.content == b"", f"{what}: the HEAD answer carried a body", ref="end-3")
    _check_type_and_digest(response, manifest, what, registry_config, ref)
    same_connection_still_usable(client, what=what)


def _missing_reference(reference: str) -> str:
    if reference == "tag":
        return f"missing-{secrets.token_hex(8)}"
    return digest_bytes(secrets.token_bytes(32))


@pytest.mark.spec("end-3", "spec.md#pulling-manifests", "code-7")
@pytest.mark.level("MUST")
@pytest.mark.writes
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("reference", REFERENCES)
def test_missing_manifest_is_404_manifest_unknown(
    *, client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, reference: str,
    method: str,
) -> None:
    _pushed(client, repo, "image-manifest", content, cleanup)  # the repository exists
    missing = _missing_reference(reference)
    response = _fetch(client, method, repo, missing)
    check_error(response, {404}, {"MANIFEST_UNKNOWN"}, what=f"{method} of a manifest never pushed "
                f"(by {reference})", ref="spec.md#pulling-manifests", code_level="should")


@pytest.mark.spec("end-3", "spec.md#pulling-manifests", "code-7")
@pytest.mark.level("MUST")
@pytest.mark.writes
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_manifest_of_another_repository_is_404_by_digest_here(
    *, client: RegistryClient, repo: str, repo2: str, content: random.Random, cleanup: Cleanup, method: str,
) -> None:
    _pushed(client, repo, "image-manifest", content, cleanup)  # both repositories exist
    elsewhere = _pushed(client, repo2, "image-manifest", content, cleanup)
    what = f"{method} in {repo} of a manifest pushed only to {repo2}"
    check_error(_fetch(client, method, repo, elsewhere.digest), {404}, {"MANIFEST_UNKNOWN"}, what=what,
                ref="spec.md#pulling-manifests", code_level="should")


@pytest.mark.spec("end-3", "spec.md#pulling-manifests", "code-9")
@pytest.mark.level("MUST")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("reference", REFERENCES)
def test_manifest_of_missing_repository_is_404(
    client: RegistryClient, repo: str, reference: str, method: str
) -> None:
    missing = _missing_reference(reference)
    response = _fetch(client, method, repo, missing)
    codes = check_error(response, {404}, {"NAME_UNKNOWN", "MANIFEST_UNKNOWN"},
                        what=f"{method} of a manifest (by {reference}) in a repository never created",
                        ref="spec.md#pulling-manifests", code_level="should")
    if codes and "NAME_UNKNOWN" not in codes:
        note(f"missing repository answered {codes}; NAME_UNKNOWN would name the cause")
