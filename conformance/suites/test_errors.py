"""The error-code matrix: how a registry refuses each negative path the spec defines (spec.md "Error Codes").

What binds, and how hard (each verdict names its rule):
- a GET or HEAD of a well-formed blob or manifest reference that the repository (or a repository that does
  not exist) does not hold MUST be 404, a 5xx included; the code is advice (BLOB_UNKNOWN, ...);
- a DELETE of something missing: 404 MUST for a blob (Deleting Blobs) and for a manifest of a repository
  that does not exist (Deleting Manifests); a 400 or 405 means deletes are disabled (unsupported);
- an unknown upload session, a digest that does not match, an invalid manifest, a malformed digest: the
  endpoint table's failure statuses have no keyword, so another refusal is advice, a 5xx departs from HTTP
  semantics (SHOULD on main, advice for v1.1); the main text's SHOULD 400 for an invalid digest on a blob
  push warns on main. After an acceptance that should not have happened, the effect is read back: a digest
  never serves bytes that hash to something else (the MUSTs of pulling);
- a manifest refused for a missing blob MUST say MANIFEST_BLOB_UNKNOWN; the referrers API MUST answer a
  malformed digest with 400;
- a method an endpoint does not define SHOULD get 405 with `Allow` (RFC 9110, through the main text);
- a JSON body of every 4xx MUST be the OCI error envelope with codes from the table (`checks.errors`).
"""

from __future__ import annotations

import json
import random
import secrets
import uuid

import pytest

from conformance.checks.documents import push_children
from conformance.checks.errors import (
    check_allow_header,
    check_refusal,
    delete_or_unsupported,
    served_digest_matches,
    started_upload,
)
from conformance.checks.transfers import with_session_id
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient
from conformance.content import Manifest, image_manifest, random_blob
from conformance.fixtures import Workspace
from conformance.ledger.model import Rule
from conformance.ledger.rules import deletes, errors, general, grammar, manifests, pull, referrers, uploads
from conformance.spec import media_types
from conformance.spec.digests import digest_bytes
from conformance.verdicts import judge, note, unsupported

pytestmark = [pytest.mark.errors, pytest.mark.rules(general.ERROR_ENVELOPE, general.ERROR_CODE_SHAPE,
                                                    general.ERROR_CODE_TABLE, general.ERROR_MESSAGE)]

MALFORMED_DIGEST = "sha256:baddigeststring"
"""The malformed digest the official suite uses: a grammatical string, but no 64-hex sha256 encoding."""

ACCEPT_ANY_MANIFEST = ", ".join((media_types.OCI_MANIFEST, media_types.OCI_INDEX, media_types.DOCKER_MANIFEST,
                                 media_types.DOCKER_MANIFEST_LIST))

ANY_4XX = tuple(range(400, 500))


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


# missing content in an existing repository ---------------------------------------------------------------
@pytest.mark.pull
@pytest.mark.writes
@pytest.mark.rules(pull.BLOB_NOT_FOUND_404, pull.HEAD_NOT_FOUND_404, pull.BLOB_MISSING_CODE,
                   deletes.BLOB_DELETE_NOT_FOUND_404, deletes.BLOB_DELETE_DISABLED)
@pytest.mark.parametrize("method", ["GET", "HEAD", "DELETE"])
def test_missing_blob_in_an_existing_repository_is_404_blob_unknown(
    workspace: Workspace, method: str
) -> None:
    client = workspace.client
    _seed_repo(client, workspace.repo, workspace.cleanup, workspace.content)
    what = f"{method} of a blob the repository does not have"
    response = client.request(method, f"/v2/{workspace.repo}/blobs/{_missing_digest()}")
    if method == "DELETE":
        delete_or_unsupported(response, what, workspace.capabilities, "blob_delete")
    rule = {"GET": pull.BLOB_NOT_FOUND_404, "HEAD": pull.HEAD_NOT_FOUND_404,
            "DELETE": deletes.BLOB_DELETE_NOT_FOUND_404}[method]
    check_refusal(response, (404,), what, status_rule=rule, server_error_rule=rule, codes=("BLOB_UNKNOWN",),
                  code_rule=pull.BLOB_MISSING_CODE)


@pytest.mark.pull
@pytest.mark.writes
@pytest.mark.rules(pull.MANIFEST_NOT_FOUND_404, pull.HEAD_NOT_FOUND_404, pull.MANIFEST_MISSING_CODE,
                   general.ENDPOINT_TABLE, general.SERVER_ERROR_FOR_CLIENT_ERROR, deletes.TAG_DELETE_DISABLED,
                   deletes.MANIFEST_DELETE_DISABLED)
@pytest.mark.parametrize("case", [f"{method}-{by}" for by in ("tag", "digest")
                                  for method in ("GET", "HEAD", "DELETE")])
def test_missing_manifest_is_404_manifest_unknown(workspace: Workspace, case: str) -> None:
    method, by = case.split("-")
    client = workspace.client
    _seed_repo(client, workspace.repo, workspace.cleanup, workspace.content)
    reference = f"missing-{secrets.token_hex(6)}" if by == "tag" else _missing_digest()
    what = f"{method} of a manifest by {by} the repository does not have"
    response = client.request(method, f"/v2/{workspace.repo}/manifests/{reference}",
                              headers={"Accept": ACCEPT_ANY_MANIFEST})
    if method == "DELETE":
        delete_or_unsupported(response, what, workspace.capabilities,
                               "tag_delete" if by == "tag" else "manifest_delete")
        # no sentence names the answer to a DELETE of a missing manifest in an existing repository
        check_refusal(response, (404,), what, status_rule=general.ENDPOINT_TABLE, codes=("MANIFEST_UNKNOWN",),
                      code_rule=pull.MANIFEST_MISSING_CODE)
        return
    rule = pull.MANIFEST_NOT_FOUND_404 if method == "GET" else pull.HEAD_NOT_FOUND_404
    check_refusal(response, (404,), what, status_rule=rule, server_error_rule=rule,
                  codes=("MANIFEST_UNKNOWN",), code_rule=pull.MANIFEST_MISSING_CODE)


MISSING_REPOSITORY_RULES: dict[tuple[str, str], Rule] = {
    ("blobs/{digest}", "GET"): pull.BLOB_NOT_FOUND_404,
    ("blobs/{digest}", "HEAD"): pull.HEAD_NOT_FOUND_404,
    ("manifests/latest", "GET"): manifests.NONEXISTENT_REPOSITORY_404,
    ("manifests/latest", "HEAD"): pull.HEAD_NOT_FOUND_404,
    ("manifests/{digest}", "DELETE"): deletes.MANIFEST_DELETE_NO_REPOSITORY_404,
    ("tags/list", "GET"): general.ENDPOINT_TABLE,
}


@pytest.mark.pull
@pytest.mark.rules(*MISSING_REPOSITORY_RULES.values(), pull.REPOSITORY_MISSING_CODE,
                   general.SERVER_ERROR_FOR_CLIENT_ERROR, deletes.MANIFEST_DELETE_DISABLED)
@pytest.mark.parametrize("path,method", list(MISSING_REPOSITORY_RULES))
def test_missing_repository_is_404(workspace: Workspace, path: str, method: str) -> None:
    target = path.format(digest=_missing_digest())
    what = f"{method} /v2/<a repository that does not exist>/{path}"
    response = workspace.client.request(method, f"/v2/{workspace.repo}/{target}")
    if method == "DELETE":
        delete_or_unsupported(response, what, workspace.capabilities, "manifest_delete")
    rule = MISSING_REPOSITORY_RULES[(path, method)]
    server_error_rule = general.SERVER_ERROR_FOR_CLIENT_ERROR if rule is general.ENDPOINT_TABLE else rule
    kinds = {"blobs": "BLOB_UNKNOWN", "manifests": "MANIFEST_UNKNOWN", "tags": "NAME_UNKNOWN"}
    check_refusal(response, (404,), what, status_rule=rule, server_error_rule=server_error_rule,
                  codes=("NAME_UNKNOWN", kinds[path.split("/", maxsplit=1)[0]]),
                  code_rule=pull.REPOSITORY_MISSING_CODE)


# unknown upload sessions ----------------------------------------------------------------------------------
def _ended_session(client: RegistryClient, repo: str) -> tuple[str, str]:
    """An upload URL whose session no longer exists: cancelled when the registry can cancel, else made up."""
    location = started_upload(client, repo)
    cancelled = client.upload_cancel(location)
    if 200 <= cancelled.status_code < 300:
        return location, "a cancelled upload session"
    note(f"cancelling the session answered {cancelled.status_code}; using a made-up session id instead")
    return with_session_id(location, str(uuid.uuid4())), "an upload session id the registry never issued"


@pytest.mark.push
@pytest.mark.writes
@pytest.mark.uploads
@pytest.mark.rules(general.ENDPOINT_TABLE, general.SERVER_ERROR_FOR_CLIENT_ERROR, uploads.UPLOAD_UNKNOWN_CODE,
                   uploads.UPLOAD_POST_202, general.CATEGORY_CLAIM)
@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
def test_unknown_upload_session_is_404_blob_upload_unknown(workspace: Workspace, method: str) -> None:
    client = workspace.client
    location, kind = _ended_session(client, workspace.repo)
    data = random_blob(workspace.content, 32).data
    statuses: tuple[int, ...] = (404,)
    if method == "GET":
        response = client.upload_status(location)
    elif method == "PATCH":
        response = client.upload_patch(location, data, content_range=f"0-{len(data) - 1}")
    elif method == "PUT":
        response = client.upload_put(location, digest_bytes(data), data)
        if response.status_code == 201:
            workspace.cleanup.blob(workspace.repo, digest_bytes(data))
    else:
        response = client.upload_cancel(location)
        statuses = (404, 400)  # end-14 (main)
    check_refusal(response, statuses, f"{method} on {kind}", status_rule=general.ENDPOINT_TABLE,
                  codes=("BLOB_UPLOAD_UNKNOWN",), code_rule=uploads.UPLOAD_UNKNOWN_CODE)


# digests that do not match, digests that are malformed ----------------------------------------------------
@pytest.mark.push
@pytest.mark.writes
@pytest.mark.uploads
@pytest.mark.rules(uploads.DIGEST_INVALID_400, general.SERVER_ERROR_FOR_CLIENT_ERROR,
                   uploads.UPLOAD_DIGEST_INVALID_CODE, pull.BLOB_GET_200, uploads.UPLOAD_POST_202,
                   general.CATEGORY_CLAIM)
def test_upload_with_a_digest_that_does_not_match_is_400_digest_invalid(workspace: Workspace) -> None:
    client = workspace.client
    data = random_blob(workspace.content, 256).data
    location = started_upload(client, workspace.repo)
    wrong = digest_bytes(data + b"!")
    what = "closing PUT whose ?digest= is not the content's"
    response = client.upload_put(location, wrong, data)
    if response.status_code == 201:
        workspace.cleanup.blob(workspace.repo, wrong)
    check_refusal(response, (400,), what, status_rule=uploads.DIGEST_INVALID_400, codes=("DIGEST_INVALID",),
                  code_rule=uploads.UPLOAD_DIGEST_INVALID_CODE)
    served_digest_matches(client.blob_get(workspace.repo, wrong), wrong, f"after the {what}",
                           pull.BLOB_GET_200)


@pytest.mark.push
@pytest.mark.writes
@pytest.mark.rules(manifests.DIGEST_MISMATCH_REFUSED, general.SERVER_ERROR_FOR_CLIENT_ERROR,
                   pull.MANIFEST_GET_200, general.CATEGORY_CLAIM)
def test_manifest_put_by_a_digest_that_does_not_match_is_400(workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    manifest = _image_with_blobs_pushed(client, repo, workspace.cleanup, workspace.content)
    wrong = digest_bytes(manifest.data + b"  ")
    what = "manifest PUT by a digest that is not the body's"
    response = client.manifest_put(repo, wrong, manifest.data, manifest.media_type)
    if response.status_code == 201:
        workspace.cleanup.manifest(repo, wrong)
    check_refusal(response, (400,), what, status_rule=manifests.DIGEST_MISMATCH_REFUSED,
                  codes=("DIGEST_INVALID", "MANIFEST_INVALID"), code_rule=manifests.DIGEST_MISMATCH_REFUSED)
    served = client.manifest_get(repo, wrong, accept=(manifest.media_type,))
    served_digest_matches(served, wrong, f"after the {what}", pull.MANIFEST_GET_200)


MALFORMED_PLACES: dict[str, tuple[str, str]] = {
    "blob GET": ("GET", "blobs/{digest}"),
    "blob HEAD": ("HEAD", "blobs/{digest}"),
    "blob DELETE": ("DELETE", "blobs/{digest}"),
    "manifest GET": ("GET", "manifests/{digest}"),
    "manifest DELETE": ("DELETE", "manifests/{digest}"),
    "referrers GET": ("GET", "referrers/{digest}"),
}


@pytest.mark.pull
@pytest.mark.writes
@pytest.mark.rules(grammar.DIGEST_SHA256_ENCODING, general.SERVER_ERROR_FOR_CLIENT_ERROR,
                   errors.MALFORMED_DIGEST_CODE, referrers.REFERRERS_INVALID_400,
                   deletes.BLOB_DELETE_DISABLED, deletes.MANIFEST_DELETE_DISABLED, general.CATEGORY_CLAIM)
@pytest.mark.parametrize("place", list(MALFORMED_PLACES))
def test_malformed_digest_is_refused(workspace: Workspace, place: str) -> None:
    method, template = MALFORMED_PLACES[place]
    client, capabilities = workspace.client, workspace.capabilities
    _seed_repo(client, workspace.repo, workspace.cleanup, workspace.content)
    is_referrers = place.startswith("referrers")
    accept = {"Accept": media_types.OCI_INDEX} if is_referrers else None
    response = client.request(method, f"/v2/{workspace.repo}/{template.format(digest=MALFORMED_DIGEST)}",
                              headers=accept)
    what = f"{place} with the malformed digest {MALFORMED_DIGEST}"
    if is_referrers:
        if response.status_code == 404:
            capabilities.record("referrers", False, "a referrers request answered 404 (a registry with the "
                                "API MUST NOT)", evidence=response.describe(), source="errors")
            unsupported(f"{what}: 404, the referrers API is not implemented (with it: 400 MUST)")
        check_refusal(response, (400,), what, status_rule=referrers.REFERRERS_INVALID_400,
                      server_error_rule=referrers.REFERRERS_INVALID_400, codes=("DIGEST_INVALID",),
                      code_rule=errors.MALFORMED_DIGEST_CODE)
        return
    if method == "DELETE" and response.status_code == 405:
        delete_or_unsupported(response, what, capabilities, template.split("/")[0][:-1] + "_delete")
    check_refusal(response, ANY_4XX, what, status_rule=grammar.DIGEST_SHA256_ENCODING,
                  codes=("DIGEST_INVALID", "BLOB_UNKNOWN", "MANIFEST_UNKNOWN", "NAME_UNKNOWN"),
                  code_rule=errors.MALFORMED_DIGEST_CODE)


@pytest.mark.push
@pytest.mark.writes
@pytest.mark.rules(grammar.DIGEST_SHA256_ENCODING, general.SERVER_ERROR_FOR_CLIENT_ERROR,
                   errors.MALFORMED_DIGEST_CODE, general.CATEGORY_CLAIM)
def test_manifest_put_by_a_malformed_digest_is_refused(workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    manifest = _image_with_blobs_pushed(client, repo, workspace.cleanup, workspace.content)
    response = client.manifest_put(repo, MALFORMED_DIGEST, manifest.data, manifest.media_type)
    check_refusal(response, ANY_4XX, f"manifest PUT by the malformed digest {MALFORMED_DIGEST}",
                  status_rule=grammar.DIGEST_SHA256_ENCODING,
                  codes=("DIGEST_INVALID", "MANIFEST_INVALID", "NAME_UNKNOWN", "MANIFEST_UNKNOWN"),
                  code_rule=errors.MALFORMED_DIGEST_CODE)


@pytest.mark.push
@pytest.mark.writes
@pytest.mark.uploads
@pytest.mark.rules(uploads.DIGEST_INVALID_400, grammar.DIGEST_SHA256_ENCODING,
                   general.SERVER_ERROR_FOR_CLIENT_ERROR, errors.MALFORMED_DIGEST_CODE,
                   uploads.UPLOAD_POST_202, general.CATEGORY_CLAIM)
def test_upload_closed_with_a_malformed_digest_is_400(workspace: Workspace) -> None:
    data = random_blob(workspace.content, 64).data
    location = started_upload(workspace.client, workspace.repo)
    response = workspace.client.upload_put(location, MALFORMED_DIGEST, data)
    what = f"closing PUT with ?digest={MALFORMED_DIGEST}"
    check_refusal(response, ANY_4XX, what, status_rule=grammar.DIGEST_SHA256_ENCODING,
                  codes=("DIGEST_INVALID", "BLOB_UPLOAD_INVALID"), code_rule=errors.MALFORMED_DIGEST_CODE)
    if response.status_code < 500:
        judge(uploads.DIGEST_INVALID_400, response.status_code == 400,
              f"{what}: {response.describe()}, expected 400 for an invalid digest on a blob push")


# manifests the registry refuses ----------------------------------------------------------------------------
@pytest.mark.push
@pytest.mark.writes
@pytest.mark.rules(manifests.INVALID_MANIFEST_400, general.SERVER_ERROR_FOR_CLIENT_ERROR,
                   manifests.MANIFEST_EXACT_BYTES, general.CATEGORY_CLAIM)
@pytest.mark.parametrize("body", ["not json", "wrong schemaVersion"])
def test_invalid_manifest_is_400_manifest_invalid(workspace: Workspace, body: str) -> None:
    client, repo = workspace.client, workspace.repo
    _seed_repo(client, repo, workspace.cleanup, workspace.content)
    if body == "not json":
        data = b"{this is not json"
    else:
        data = json.dumps({"schemaVersion": 7, "mediaType": media_types.OCI_MANIFEST, "layers": []}).encode()
    tag = f"invalid-{secrets.token_hex(4)}"
    response = client.manifest_put(repo, tag, data, media_types.OCI_MANIFEST)
    check_refusal(response, (400,), f"manifest PUT of a manifest that is {body}",
                  status_rule=manifests.INVALID_MANIFEST_400, codes=("MANIFEST_INVALID",),
                  code_rule=manifests.INVALID_MANIFEST_400)
    if response.status_code == 201:
        workspace.cleanup.tag(repo, tag)
        served = client.manifest_get(repo, tag, accept=(media_types.OCI_MANIFEST,))
        judge(manifests.MANIFEST_EXACT_BYTES, served.status_code == 200 and served.content == data,
              f"the accepted invalid manifest, read back by its tag: {served.describe()}, "
              f"{len(served.content)} bytes, expected the {len(data)} bytes pushed")


@pytest.mark.push
@pytest.mark.writes
@pytest.mark.rules(manifests.MISSING_REFERENCES_MAY_REJECT, manifests.MANIFEST_BLOB_UNKNOWN_ON_REJECT,
                   general.SERVER_ERROR_FOR_CLIENT_ERROR, general.CATEGORY_CLAIM)
def test_manifest_rejected_for_a_missing_blob_says_manifest_blob_unknown(workspace: Workspace) -> None:
    client, repo, cleanup = workspace.client, workspace.repo, workspace.cleanup
    manifest = image_manifest(workspace.content, layers=1, layer_size=64)
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
    what = "manifest PUT with a layer never pushed"
    found = check_refusal(response, ANY_4XX, what, status_rule=manifests.MISSING_REFERENCES_MAY_REJECT)
    if response.status_code < 500:
        named = "(no JSON body)" if found is None else str(found)
        judge(manifests.MANIFEST_BLOB_UNKNOWN_ON_REJECT,
              found is not None and "MANIFEST_BLOB_UNKNOWN" in found,
              f"{what}: {response.describe()}: error codes {named}, expected MANIFEST_BLOB_UNKNOWN among "
              "them")


# sizes ------------------------------------------------------------------------------------------------------
@pytest.mark.push
@pytest.mark.writes
@pytest.mark.uploads
@pytest.mark.rules(uploads.CHUNK_RANGE_MATCHES_LENGTH, general.SERVER_ERROR_FOR_CLIENT_ERROR,
                   uploads.UPLOAD_SIZE_INVALID_CODE, uploads.UPLOAD_POST_202, general.CATEGORY_CLAIM)
def test_chunk_shorter_than_its_content_range_is_refused(workspace: Workspace) -> None:
    data = random_blob(workspace.content, 64).data
    location = started_upload(workspace.client, workspace.repo)
    response = workspace.client.upload_patch(location, data, content_range=f"0-{len(data) * 2 - 1}")
    check_refusal(response, (400, 416), f"PATCH of {len(data)} bytes announced as Content-Range "
                  f"0-{len(data) * 2 - 1}", status_rule=uploads.CHUNK_RANGE_MATCHES_LENGTH,
                  codes=("SIZE_INVALID", "BLOB_UPLOAD_INVALID"), code_rule=uploads.UPLOAD_SIZE_INVALID_CODE)
    workspace.client.upload_cancel(response.location or location)


# methods an endpoint does not have --------------------------------------------------------------------------
@pytest.mark.pull
@pytest.mark.rules(general.UNDEFINED_METHOD_405, general.SERVER_ERROR_FOR_CLIENT_ERROR,
                   errors.UNDEFINED_METHOD_CODE, general.METHOD_NOT_ALLOWED_ALLOW)
@pytest.mark.parametrize("method,path", [
    ("PATCH", "tags/list"),
    ("POST", "manifests/latest"),
    ("PUT", "blobs/{digest}"),
])
def test_unsupported_method_is_refused_with_4xx(workspace: Workspace, method: str, path: str) -> None:
    target = path.format(digest=_missing_digest())
    response = workspace.client.request(method, f"/v2/{workspace.repo}/{target}",
                                        headers={"Content-Type": media_types.OCTET_STREAM}, content=b"")
    what = f"{method} /v2/<name>/{path}, a method this endpoint does not define"
    check_refusal(response, (405,), what, status_rule=general.UNDEFINED_METHOD_405, codes=("UNSUPPORTED",),
                  code_rule=errors.UNDEFINED_METHOD_CODE)
    check_allow_header(response, what)
