"""The error-code matrix: how a registry refuses each negative path the spec defines (spec.md "Error Codes").

The spec: a 4xx body MAY be in any format, but a JSON body MUST be `{"errors": [{"code", "message",
"detail"}]}` with codes from the table (code-1 ... code-14, plus the legacy TAG_INVALID and
MANIFEST_UNVERIFIED). Each endpoint lists the failure statuses it may answer (end-1 ... end-14): a missing
blob or manifest, or a missing repository, is 404 (MUST) on GET, HEAD and DELETE; an unknown upload session
is 404 on GET/PATCH/PUT/DELETE (end-5, -6, -13, -14); a digest that does not match the upload is 400
(end-6, DIGEST_INVALID); a malformed digest is 400 or 404 wherever it appears (the referrers API MUST
answer 400; a blob push SHOULD answer 400); a manifest rejected for missing references MUST carry
MANIFEST_BLOB_UNKNOWN; an unparsable manifest is MANIFEST_INVALID; a chunk whose length contradicts its
`Content-Range` is SIZE_INVALID or 416; a method an endpoint does not have is 405 (or 404/400) with
UNSUPPORTED and `Allow` (RFC 9110). Where the spec names a code only through the table, a different
code warns; bad input never earns a 5xx, and a HEAD answer never has a body.
"""

from __future__ import annotations

import json
import random
import secrets
import uuid

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.documents import push_children
from conformance.checks.errors import (
    check_allow_header,
    check_not_server_error,
    check_refusal,
    started_upload,
)
from conformance.checks.transfers import with_session_id
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import Manifest, image_manifest, random_blob
from conformance.spec import media_types
from conformance.spec.digests import digest_bytes
from conformance.verdicts import must, note, should, unsupported

pytestmark = [pytest.mark.errors]

MALFORMED_DIGEST = "sha256:baddigeststring"
"""The malformed digest the official suite uses (H3/H4): grammatical algorithm, impossible sha256 encoding."""

ACCEPT_ANY_MANIFEST = ", ".join((media_types.OCI_MANIFEST, media_types.OCI_INDEX, media_types.DOCKER_MANIFEST,
                                 media_types.DOCKER_MANIFEST_LIST))

DELETE_DISABLED = (400, 405)
"""end-9/end-10: a registry with deletes disabled MUST answer 400 or 405."""


def _missing_digest() -> str:
    return digest_bytes(secrets.token_bytes(32))


def _seed_repo(client: RegistryClient, repo: str, cleanup: Cleanup, rng: random.Random) -> str:
    """Make `repo` exist (one blob); returns the blob's digest."""
    blob = random_blob(rng, 64)
    client.push_blob(repo, blob)
    cleanup.blob(repo, blob.digest)
    return blob.digest


def _image_with_blobs_pushed(
    client: RegistryClient, repo: str, cleanup: Cleanup, rng: random.Random
) -> Manifest:
    """A one-layer image whose blobs (config and layer) are pushed; the manifest itself is not."""
    manifest = image_manifest(rng, layers=1, layer_size=64)
    push_children(client, repo, manifest, cleanup)
    return manifest


def _delete_or_unsupported(response: Response, what: str, capabilities: Capabilities, feature: str) -> None:
    """A 400/405 to a DELETE of something missing means the kind of delete is disabled (end-9/end-10)."""
    if response.status_code in DELETE_DISABLED:
        check_not_server_error(response, what)
        capabilities.record(feature, False, f"{what} answered {response.status_code}",
                            evidence=response.describe(), source="errors")
        unsupported(f"{what}: {response.describe()}: {feature} is disabled (400/405 allowed by end-9/end-10)")


# missing content in an existing repository ---------------------------------------------------------------
@pytest.mark.spec("end-2", "end-10", "code-1", "spec.md#pulling-blobs")
@pytest.mark.level("MUST")
@pytest.mark.pull
@pytest.mark.writes
@pytest.mark.parametrize("method", ["GET", "HEAD", "DELETE"])
def test_missing_blob_in_an_existing_repository_is_404_blob_unknown(
    client: RegistryClient, repo: str, cleanup: Cleanup, content: random.Random, method: str, *,
    capabilities: Capabilities,
) -> None:
    _seed_repo(client, repo, cleanup, content)
    missing = _missing_digest()
    what = f"{method} of a blob the repository does not have"
    response = client.request(method, f"/v2/{repo}/blobs/{missing}")
    if method == "DELETE":
        _delete_or_unsupported(response, what, capabilities, "blob_delete")
    check_refusal(response, (404,), ("BLOB_UNKNOWN",), what, ref="end-2" if method != "DELETE" else "end-10")


@pytest.mark.spec("end-3", "end-9", "code-7", "spec.md#pulling-manifests")
@pytest.mark.level("MUST")
@pytest.mark.pull
@pytest.mark.writes
@pytest.mark.parametrize("case", [f"{method}-{by}" for by in ("tag", "digest")
                                  for method in ("GET", "HEAD", "DELETE")])
def test_missing_manifest_is_404_manifest_unknown(
    client: RegistryClient, repo: str, cleanup: Cleanup, content: random.Random, case: str, *,
    capabilities: Capabilities,
) -> None:
    method, by = case.split("-")
    _seed_repo(client, repo, cleanup, content)
    reference = f"missing-{secrets.token_hex(6)}" if by == "tag" else _missing_digest()
    what = f"{method} of a manifest by {by} the repository does not have"
    response = client.request(method, f"/v2/{repo}/manifests/{reference}",
                              headers={"Accept": ACCEPT_ANY_MANIFEST})
    if method == "DELETE":
        feature = "tag_delete" if by == "tag" else "manifest_delete"
        _delete_or_unsupported(response, what, capabilities, feature)
    check_refusal(response, (404,), ("MANIFEST_UNKNOWN",), what,
                  ref="end-3" if method != "DELETE" else "end-9")


@pytest.mark.spec("end-2", "end-3", "end-8a", "end-9", "end-10", "code-9")
@pytest.mark.level("MUST")
@pytest.mark.pull
@pytest.mark.parametrize("path,method", [
    ("blobs/{digest}", "GET"),
    ("blobs/{digest}", "HEAD"),
    ("manifests/latest", "GET"),
    ("manifests/latest", "HEAD"),
    ("manifests/{digest}", "DELETE"),
    ("tags/list", "GET"),
])
def test_missing_repository_is_404(
    client: RegistryClient, repo: str, path: str, method: str, capabilities: Capabilities
) -> None:
    target = path.format(digest=_missing_digest())
    what = f"{method} /v2/<a repository that does not exist>/{path}"
    response = client.request(method, f"/v2/{repo}/{target}")
    if method == "DELETE":
        _delete_or_unsupported(response, what, capabilities, "manifest_delete")
    kinds = {"blobs": "BLOB_UNKNOWN", "manifests": "MANIFEST_UNKNOWN", "tags": "NAME_UNKNOWN"}
    kind = kinds[path.split("/", maxsplit=1)[0]]
    check_refusal(response, (404,), ("NAME_UNKNOWN", kind), what, ref="spec.md#pushing-manifests")


# unknown upload sessions ----------------------------------------------------------------------------------
def _ended_session(client: RegistryClient, repo: str) -> tuple[str, str]:
    """An upload URL whose session no longer exists: cancelled when the registry can cancel, else made up."""
    started = client.upload_start(repo)
    must(started.status_code == 202 and started.location,
         f"starting an upload session: {started.describe()}, expected 202 with a Location", ref="end-4a")
    location = started.location
    assert location is not None
    cancelled = client.upload_cancel(location)
    if 200 <= cancelled.status_code < 300:
        return location, "a cancelled upload session"
    note(f"cancelling the session answered {cancelled.status_code}; using a made-up session id instead")
    return with_session_id(location, str(uuid.uuid4())), "an upload session id the registry never issued"


@pytest.mark.spec("end-5", "end-6", "end-13", "end-14", "code-3")
@pytest.mark.level("MUST")
@pytest.mark.push
@pytest.mark.writes
@pytest.mark.uploads
@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
def test_unknown_upload_session_is_404_blob_upload_unknown(
    client: RegistryClient, repo: str, content: random.Random, method: str
) -> None:
    location, kind = _ended_session(client, repo)
    data = random_blob(content, 32).data
    what = f"{method} on {kind}"
    if method == "GET":
        response = client.upload_status(location)
        statuses: tuple[int, ...] = (404,)
    elif method == "PATCH":
        response = client.upload_patch(location, data, content_range=f"0-{len(data) - 1}")
        statuses = (404,)
    elif method == "PUT":
        response = client.upload_put(location, digest_bytes(data), data)
        statuses = (404,)
    else:
        response = client.upload_cancel(location)
        statuses = (404, 400)  # end-14
    check_refusal(response, statuses, ("BLOB_UPLOAD_UNKNOWN",), what,
                  ref={"GET": "end-13", "PATCH": "end-5", "PUT": "end-6", "DELETE": "end-14"}[method],
                  codes_when_not=(), code_level="should")


# digests that do not match, digests that are malformed ----------------------------------------------------
@pytest.mark.spec("end-6", "code-4", "spec.md#post-then-put")
@pytest.mark.level("MUST")
@pytest.mark.push
@pytest.mark.writes
@pytest.mark.uploads
def test_upload_with_a_digest_that_does_not_match_is_400_digest_invalid(
    client: RegistryClient, repo: str, content: random.Random
) -> None:
    data = random_blob(content, 256).data
    location = started_upload(client, repo)
    wrong = digest_bytes(data + b"!")
    response = client.upload_put(location, wrong, data)
    check_refusal(response, (400,), ("DIGEST_INVALID",), "closing PUT whose ?digest= is not the content's",
                  ref="end-6")
    stored = client.blob_head(repo, wrong)
    must(stored.status_code == 404, f"the refused upload is served anyway: {stored.describe()}", ref="end-6")


@pytest.mark.spec("end-7a", "code-4", "code-6", "spec.md#pushing-manifests")
@pytest.mark.level("MUST")
@pytest.mark.push
@pytest.mark.writes
def test_manifest_put_by_a_digest_that_does_not_match_is_400(
    client: RegistryClient, repo: str, cleanup: Cleanup, content: random.Random
) -> None:
    manifest = _image_with_blobs_pushed(client, repo, cleanup, content)
    wrong = digest_bytes(manifest.data + b"  ")
    response = client.manifest_put(repo, wrong, manifest.data, manifest.media_type)
    if response.status_code == 201:
        cleanup.manifest(repo, wrong)
    check_refusal(response, (400,), ("DIGEST_INVALID", "MANIFEST_INVALID"),
                  "manifest PUT by a digest that is not the body's", ref="spec.md#pushing-manifests")


MALFORMED_PLACES: dict[str, tuple[str, str, tuple[int, ...], str]] = {
    # place: (method, path template, allowed statuses, ref)
    "blob GET": ("GET", "blobs/{digest}", (400, 404), "end-2"),
    "blob HEAD": ("HEAD", "blobs/{digest}", (400, 404), "end-2"),
    "blob DELETE": ("DELETE", "blobs/{digest}", (400, 404, 405), "end-10"),
    "manifest GET": ("GET", "manifests/{digest}", (400, 404), "end-3"),
    "manifest DELETE": ("DELETE", "manifests/{digest}", (400, 404, 405), "end-9"),
    "referrers GET": ("GET", "referrers/{digest}", (400,), "end-12a"),
}


@pytest.mark.spec("end-2", "end-3", "end-9", "end-10", "end-12a", "code-4")
@pytest.mark.level("MUST")
@pytest.mark.pull
@pytest.mark.writes
@pytest.mark.parametrize("place", list(MALFORMED_PLACES))
def test_malformed_digest_is_refused(
    client: RegistryClient, repo: str, cleanup: Cleanup, content: random.Random, place: str, *,
    capabilities: Capabilities,
) -> None:
    method, template, statuses, ref = MALFORMED_PLACES[place]
    _seed_repo(client, repo, cleanup, content)
    accept = {"Accept": media_types.OCI_INDEX} if place.startswith("referrers") else None
    path = f"/v2/{repo}/{template.format(digest=MALFORMED_DIGEST)}"
    response = client.request(method, path, headers=accept)
    what = f"{place} with the malformed digest {MALFORMED_DIGEST}"
    if place.startswith("referrers") and response.status_code == 404:
        check_not_server_error(response, what)
        capabilities.record("referrers", False, "a referrers request answered 404 (a registry with the API "
                            "MUST NOT)", evidence=response.describe(), source="errors")
        unsupported(f"{what}: 404, the referrers API is not implemented (a registry with it MUST answer 400)")
    if method == "DELETE" and response.status_code == 405:
        _delete_or_unsupported(response, what, capabilities, template.split("/")[0][:-1] + "_delete")
    check_refusal(response, statuses, ("DIGEST_INVALID",), what, ref=ref,
                  codes_when_not=("BLOB_UNKNOWN", "MANIFEST_UNKNOWN", "NAME_UNKNOWN"))


@pytest.mark.spec("end-7a", "code-4", "spec.md#pushing-manifests")
@pytest.mark.level("MUST")
@pytest.mark.push
@pytest.mark.writes
def test_manifest_put_by_a_malformed_digest_is_refused(
    client: RegistryClient, repo: str, cleanup: Cleanup, content: random.Random
) -> None:
    manifest = _image_with_blobs_pushed(client, repo, cleanup, content)
    response = client.manifest_put(repo, MALFORMED_DIGEST, manifest.data, manifest.media_type)
    check_refusal(response, (400, 404), ("DIGEST_INVALID", "MANIFEST_INVALID"),
                  f"manifest PUT by the malformed digest {MALFORMED_DIGEST}", ref="end-7a",
                  codes_when_not=("NAME_UNKNOWN", "MANIFEST_UNKNOWN"))


@pytest.mark.spec("end-6", "code-4", "spec.md#pushing-blobs")
@pytest.mark.level("SHOULD")
@pytest.mark.push
@pytest.mark.writes
@pytest.mark.uploads
def test_upload_closed_with_a_malformed_digest_is_400(client: RegistryClient, repo: str,
                                                      content: random.Random) -> None:
    data = random_blob(content, 64).data
    location = started_upload(client, repo)
    response = client.upload_put(location, MALFORMED_DIGEST, data)
    check_refusal(response, (400, 404), ("DIGEST_INVALID",), f"closing PUT with ?digest={MALFORMED_DIGEST}",
                  ref="spec.md#pushing-blobs", codes_when_not=("BLOB_UPLOAD_INVALID",))
    if response.status_code == 404:
        should(False, f"{response.describe()}: an invalid digest on blob push SHOULD be answered with 400",
               ref="spec.md#pushing-blobs")


# manifests the registry refuses ----------------------------------------------------------------------------
@pytest.mark.spec("end-7a", "code-6", "spec.md#pushing-manifests")
@pytest.mark.level("MUST")
@pytest.mark.push
@pytest.mark.writes
@pytest.mark.parametrize("body", ["not json", "wrong schemaVersion"])
def test_invalid_manifest_is_400_manifest_invalid(
    client: RegistryClient, repo: str, cleanup: Cleanup, content: random.Random, body: str
) -> None:
    _seed_repo(client, repo, cleanup, content)
    if body == "not json":
        data = b"{this is not json"
    else:
        document = {"schemaVersion": 7, "mediaType": media_types.OCI_MANIFEST, "layers": []}
        data = json.dumps(document).encode()
    tag = f"invalid-{secrets.token_hex(4)}"
    response = client.manifest_put(repo, tag, data, media_types.OCI_MANIFEST)
    if response.status_code == 201:
        cleanup.tag(repo, tag)
    check_refusal(response, (400,), ("MANIFEST_INVALID",), f"manifest PUT of a manifest that is {body}",
                  ref="spec.md#pushing-manifests")


@pytest.mark.spec("end-7a", "code-5", "spec.md#push")
@pytest.mark.level("MUST")
@pytest.mark.push
@pytest.mark.writes
def test_manifest_rejected_for_a_missing_blob_says_manifest_blob_unknown(
    client: RegistryClient, repo: str, cleanup: Cleanup, content: random.Random
) -> None:
    manifest = image_manifest(content, layers=1, layer_size=64)
    config = manifest.all_blobs()[0]
    client.push_blob(repo, config)  # the config only: the layer stays missing
    cleanup.blob(repo, config.digest)
    tag = f"missing-layer-{secrets.token_hex(4)}"
    response = client.manifest_put(repo, tag, manifest.data, manifest.media_type)
    if response.status_code == 201:
        cleanup.tag(repo, tag)
        cleanup.manifest(repo, manifest.digest)
        note("the registry accepts a manifest whose layer was never pushed (allowed: MAY reject)")
        return
    check_refusal(response, (400, 404), ("MANIFEST_BLOB_UNKNOWN",), "manifest PUT with a layer never pushed",
                  ref="spec.md#push", code_level="must")


# sizes ------------------------------------------------------------------------------------------------------
@pytest.mark.spec("end-5", "code-10", "spec.md#pushing-a-blob-in-chunks")
@pytest.mark.level("MUST")
@pytest.mark.push
@pytest.mark.writes
@pytest.mark.uploads
def test_chunk_shorter_than_its_content_range_is_refused(
    client: RegistryClient, repo: str, content: random.Random
) -> None:
    data = random_blob(content, 64).data
    location = started_upload(client, repo)
    response = client.upload_patch(location, data, content_range=f"0-{len(data) * 2 - 1}")
    check_refusal(response, (400, 416), ("SIZE_INVALID", "BLOB_UPLOAD_INVALID"),
                  f"PATCH of {len(data)} bytes announced as Content-Range 0-{len(data) * 2 - 1}",
                  ref="spec.md#pushing-a-blob-in-chunks")
    client.upload_cancel(location)


# methods an endpoint does not have --------------------------------------------------------------------------
@pytest.mark.spec("spec.md#api", "code-13", "rfc9110#section-15.5.6")
@pytest.mark.level("MUST")
@pytest.mark.pull
@pytest.mark.parametrize("method,path", [
    ("PATCH", "tags/list"),
    ("POST", "manifests/latest"),
    ("PUT", "blobs/{digest}"),
])
def test_unsupported_method_is_refused_with_4xx(
    client: RegistryClient, repo: str, method: str, path: str
) -> None:
    target = path.format(digest=_missing_digest())
    response = client.request(method, f"/v2/{repo}/{target}",
                              headers={"Content-Type": media_types.OCTET_STREAM}, content=b"")
    what = f"{method} /v2/<name>/{path}, a method this endpoint does not define"
    check_refusal(response, (405, 400, 404), ("UNSUPPORTED",), what, ref="spec.md#api",
                  codes_when_not=("NAME_UNKNOWN", "BLOB_UNKNOWN", "MANIFEST_UNKNOWN", "NAME_INVALID"))
    check_allow_header(response, what)
