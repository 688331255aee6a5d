"""Checks of manifest pulls: `GET` / `HEAD /v2/<name>/manifests/<tag-or-digest>` (end-3).

spec.md "Pulling manifests", "Checking if content exists": GET of an existing manifest, by tag or by digest,
MUST answer 200 with the manifest, byte for byte as pushed; HEAD MUST answer 200. `Docker-Content-Digest`
(GET and HEAD) and `Content-Length` (HEAD) are SHOULDs in v1.1.1 (MUSTs on the main branch;
`--no-digest-header` / OCI_API_MANIFESTS_DIGEST_HEADER=false makes a missing header a note), and a digest
header naming another manifest breaks the same sentence. `Content-Type` SHOULD be the media type the client
pushed and SHOULD NOT carry parameters. A manifest that is not in the repository MUST get 404 for GET and
HEAD, by tag and by digest (also a digest pushed only to another repository), and so MUST any manifest of a
repository that does not exist; a JSON error body MUST be an OCI envelope, and `MANIFEST_UNKNOWN` /
`NAME_UNKNOWN` are advice (no sentence with a keyword names them). A HEAD answer that carried a body would
break the framing of the next answer on the connection, which then fails as an incomplete answer.
"""

from __future__ import annotations

import random
import secrets

import pytest

from conformance.checks.documents import check_error_response, check_manifest_served
from conformance.checks.transfers import same_connection_still_usable
from conformance.client import RegistryClient, Response
from conformance.content import Manifest, image_index, image_manifest
from conformance.fixtures import Workspace
from conformance.ledger.model import Rule
from conformance.ledger.rules import general, manifests, pull
from conformance.spec.digests import digest_bytes

pytestmark = [pytest.mark.pull]

KINDS = ["image-manifest", "image-index"]
REFERENCES = ["tag", "digest"]
TYPE_RULES = (pull.MANIFEST_CONTENT_TYPE, pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH,
              pull.MANIFEST_CONTENT_TYPE_NO_PARAMETERS)
MISSING_RULES = (pull.MANIFEST_NOT_FOUND_404, pull.HEAD_NOT_FOUND_404, general.ERROR_ENVELOPE,
                 general.ERROR_CODE_TABLE)


def _build(kind: str, seed: random.Random) -> Manifest:
    if kind == "image-manifest":
        return image_manifest(seed, layers=1)
    return image_index([image_manifest(seed, layers=1, platform=("linux", "amd64")),
                        image_manifest(seed, layers=1, platform=("linux", "arm64"))])


def _pushed(workspace: Workspace, repo: str, kind: str, tag: str = "pulled") -> Manifest:
    """Push a `kind` manifest (with its blobs and children) to `repo` under `tag`, registered for cleanup."""
    manifest = _build(kind, workspace.content)
    for blob in manifest.all_blobs():
        workspace.cleanup.blob(repo, blob.digest)
    for child in manifest.children:
        workspace.cleanup.manifest(repo, child.digest)
    workspace.cleanup.manifest(repo, manifest.digest)  # deleting by digest removes the tag too
    workspace.client.push_image(repo, manifest, tag)
    return manifest


def _fetch(client: RegistryClient, method: str, repo: str, reference: str) -> Response:
    """GET or HEAD of manifest `reference`."""
    return client.manifest_get(repo, reference) if method == "GET" else client.manifest_head(repo, reference)


@pytest.mark.writes
@pytest.mark.rules(pull.MANIFEST_GET_200, manifests.MANIFEST_EXACT_BYTES, pull.MANIFEST_DIGEST_HEADER,
                   *TYPE_RULES)
@pytest.mark.parametrize("reference", REFERENCES)
@pytest.mark.parametrize("kind", KINDS)
def test_manifest_get_returns_the_pushed_bytes_type_and_digest(
    workspace: Workspace, kind: str, reference: str
) -> None:
    manifest = _pushed(workspace, workspace.repo, kind)
    target = "pulled" if reference == "tag" else manifest.digest
    check_manifest_served(workspace.client.manifest_get(workspace.repo, target), manifest, workspace.config)


@pytest.mark.writes
@pytest.mark.rules(pull.HEAD_200, pull.HEAD_CONTENT_LENGTH, pull.HEAD_DIGEST_HEADER, *TYPE_RULES)
@pytest.mark.parametrize("reference", REFERENCES)
@pytest.mark.parametrize("kind", KINDS)
def test_manifest_head_answers_200_with_length_type_digest_and_no_body(
    workspace: Workspace, kind: str, reference: str
) -> None:
    manifest = _pushed(workspace, workspace.repo, kind)
    target = "pulled" if reference == "tag" else manifest.digest
    check_manifest_served(workspace.client.manifest_head(workspace.repo, target), manifest, workspace.config)
    same_connection_still_usable(workspace.client, what=f"HEAD manifest by {reference}")


def _missing_reference(reference: str) -> str:
    if reference == "tag":
        return f"missing-{secrets.token_hex(8)}"
    return digest_bytes(secrets.token_bytes(32))


def _check_missing(
    response: Response, method: str, what: str, codes: tuple[str, ...], code_rule: Rule
) -> None:
    """404 (the MUST of GET or of HEAD); a JSON body an OCI envelope; the code one of `codes` (advice)."""
    status_rule = pull.MANIFEST_NOT_FOUND_404 if method == "GET" else pull.HEAD_NOT_FOUND_404
    check_error_response(response, (404,), codes, what, status_rule=status_rule, code_rule=code_rule)


@pytest.mark.writes
@pytest.mark.rules(*MISSING_RULES, pull.MANIFEST_MISSING_CODE)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("reference", REFERENCES)
def test_missing_manifest_is_404_manifest_unknown(workspace: Workspace, reference: str, method: str) -> None:
    _pushed(workspace, workspace.repo, "image-manifest")  # the repository exists
    response = _fetch(workspace.client, method, workspace.repo, _missing_reference(reference))
    _check_missing(response, method, f"{method} of a manifest never pushed (by {reference})",
                   ("MANIFEST_UNKNOWN",), pull.MANIFEST_MISSING_CODE)


@pytest.mark.writes
@pytest.mark.rules(*MISSING_RULES, pull.MANIFEST_MISSING_CODE)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_manifest_of_another_repository_is_404_by_digest_here(workspace: Workspace, method: str) -> None:
    repo, repo2 = workspace.repo, workspace.second_repo()
    _pushed(workspace, repo, "image-manifest")  # both repositories exist
    elsewhere = _pushed(workspace, repo2, "image-manifest")
    _check_missing(_fetch(workspace.client, method, repo, elsewhere.digest), method,
                   f"{method} in {repo} of a manifest pushed only to {repo2}", ("MANIFEST_UNKNOWN",),
                   pull.MANIFEST_MISSING_CODE)


@pytest.mark.rules(*MISSING_RULES, pull.REPOSITORY_MISSING_CODE)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("reference", REFERENCES)
def test_manifest_of_missing_repository_is_404(workspace: Workspace, reference: str, method: str) -> None:
    response = _fetch(workspace.client, method, workspace.repo, _missing_reference(reference))
    what = f"{method} of a manifest (by {reference}) in a repository never created"
    _check_missing(response, method, what, ("NAME_UNKNOWN", "MANIFEST_UNKNOWN"), pull.REPOSITORY_MISSING_CODE)
