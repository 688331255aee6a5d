"""Checks of blob pulls: `GET` / `HEAD /v2/<name>/blobs/<digest>` (end-2), `Range` requests, well-known blobs.

spec.md "Pulling blobs", "Checking if content exists": GET of an existing blob MUST answer 200 with the
blob, HEAD MUST answer 200. `Docker-Content-Digest` on a GET or HEAD and `Content-Length` on a HEAD are
SHOULDs in v1.1.1 (MUSTs on the main branch); the digest header's value, when present, MUST match the
content (it MAY use another algorithm). `--no-digest-header` / OCI_API_BLOBS_DIGEST_HEADER=false turns a
missing header into a note. A blob not in the repository MUST answer 404 (GET and HEAD, also in a missing
repository and for a blob pushed only to another repository); a JSON error body MUST be an OCI envelope, and
`BLOB_UNKNOWN` / `NAME_UNKNOWN` are advice (no sentence with a keyword names them). A registry SHOULD support
`Range` (RFC 9110 section 14): 206 with exactly the requested bytes and a `Content-Range`, 416 for a valid
range past the end (with `Content-Range: bytes */<size>`); an invalid range (last < first) MAY be ignored or
rejected; a 200 with the full body to a satisfiable range means ranges are unsupported (the
`range_requests` capability). An answer that is not complete HTTP (distribution's 416, which announces a
body it does not send) fails as such. Well-known contents: the empty blob, `{}`, sha512 blobs (optional).
"""

from __future__ import annotations

import re
import secrets

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.documents import check_error_response
from conformance.checks.transfers import (
    SHA512_RULES,
    check_digest_header,
    push_sha512_or_unsupported,
    same_connection_still_usable,
)
from conformance.client import RegistryClient, Response
from conformance.content import Blob, empty_blob, empty_json_blob, random_blob
from conformance.fixtures import Workspace
from conformance.ledger.model import Rule
from conformance.ledger.rules import general, pull
from conformance.options import RunConfig
from conformance.spec.digests import digest_bytes
from conformance.verdicts import judge, note, unsupported

pytestmark = [pytest.mark.pull]

RANGE_BLOB_SIZE = 2048
CONTENT_RANGE_RE = re.compile(r"^bytes (?P<first>[0-9]+)-(?P<last>[0-9]+)/(?P<length>[0-9]+|\*)$")
GET_RULES = (pull.BLOB_GET_200, pull.BLOB_DIGEST_HEADER, pull.BLOB_DIGEST_HEADER_MATCHES_BODY)
HEAD_RULES = (pull.HEAD_200, pull.HEAD_CONTENT_LENGTH, pull.HEAD_DIGEST_HEADER)
MISSING_RULES = (pull.BLOB_NOT_FOUND_404, pull.HEAD_NOT_FOUND_404, general.ERROR_ENVELOPE,
                 general.ERROR_CODE_TABLE)


def _pushed(workspace: Workspace, blob: Blob) -> Blob:
    workspace.client.push_blob(workspace.repo, blob)
    workspace.cleanup.blob(workspace.repo, blob.digest)
    return blob


def _check_get(response: Response, blob: Blob, config: RunConfig, what: str) -> None:
    judge(pull.BLOB_GET_200, response.status_code == 200, f"{what}: {response.describe()}, expected 200")
    judge(pull.BLOB_GET_200, response.content == blob.data,
          f"{what}: body of {len(response.content)} bytes differs from the {blob.size} pushed")
    if response.header("content-length") is None:
        note(f"{what}: no Content-Length (chunked transfer)")
    check_digest_header(response, blob.data, blob.digest, required=config.enabled("digest_header"), what=what)


def _check_head(client: RegistryClient, response: Response, blob: Blob, config: RunConfig, what: str) -> None:
    judge(pull.HEAD_200, response.status_code == 200, f"{what}: {response.describe()}, expected 200")
    length = response.header("content-length")
    judge(pull.HEAD_CONTENT_LENGTH, length is not None and length.strip() == str(blob.size),
          f"{what}: Content-Length {length!r}, expected {blob.size}")
    check_digest_header(response, blob.data, blob.digest, required=config.enabled("digest_header"), what=what,
                        rule=pull.HEAD_DIGEST_HEADER, value_rule=pull.HEAD_DIGEST_HEADER)
    same_connection_still_usable(client, what=what)  # a body after the HEAD breaks the next answer


def _fetch(client: RegistryClient, method: str, repo: str, digest: str) -> Response:
    """GET or HEAD of blob `digest`."""
    return client.blob_get(repo, digest) if method == "GET" else client.blob_head(repo, digest)


def _check_missing(
    response: Response, method: str, what: str, codes: tuple[str, ...], code_rule: Rule
) -> None:
    """404 (the MUST of GET or of HEAD); a JSON body an OCI envelope; the code one of `codes` (advice)."""
    status_rule = pull.BLOB_NOT_FOUND_404 if method == "GET" else pull.HEAD_NOT_FOUND_404
    check_error_response(response, (404,), codes, what, status_rule=status_rule, code_rule=code_rule)


@pytest.mark.writes
@pytest.mark.rules(*GET_RULES)
def test_blob_get_returns_the_exact_bytes_with_length_and_digest(workspace: Workspace) -> None:
    blob = _pushed(workspace, random_blob(workspace.content, 512))
    _check_get(workspace.client.blob_get(workspace.repo, blob.digest), blob, workspace.config, "GET blob")


@pytest.mark.writes
@pytest.mark.rules(*HEAD_RULES)
def test_blob_head_answers_200_with_length_digest_and_no_body(workspace: Workspace) -> None:
    blob = _pushed(workspace, random_blob(workspace.content, 512))
    client = workspace.client
    _check_head(client, client.blob_head(workspace.repo, blob.digest), blob, workspace.config, "HEAD blob")


@pytest.mark.writes
@pytest.mark.rules(*MISSING_RULES, pull.BLOB_MISSING_CODE)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_missing_blob_is_404_blob_unknown(workspace: Workspace, method: str) -> None:
    _pushed(workspace, random_blob(workspace.content, 64))  # the repository exists, the blob does not
    response = _fetch(workspace.client, method, workspace.repo, digest_bytes(secrets.token_bytes(32)))
    _check_missing(response, method, f"{method} of a blob never pushed", ("BLOB_UNKNOWN",),
                   pull.BLOB_MISSING_CODE)


@pytest.mark.rules(*MISSING_RULES, pull.REPOSITORY_MISSING_CODE)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_blob_in_missing_repository_is_404(workspace: Workspace, method: str) -> None:
    response = _fetch(workspace.client, method, workspace.repo, digest_bytes(secrets.token_bytes(32)))
    _check_missing(response, method, f"{method} of a blob in a repository never created",
                   ("NAME_UNKNOWN", "BLOB_UNKNOWN"), pull.REPOSITORY_MISSING_CODE)


@pytest.mark.writes
@pytest.mark.rules(*MISSING_RULES, pull.BLOB_MISSING_CODE)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_blob_of_another_repository_is_404_here(workspace: Workspace, method: str) -> None:
    client, repo = workspace.client, workspace.repo
    _pushed(workspace, random_blob(workspace.content, 64))  # both repositories exist
    elsewhere = random_blob(workspace.content, 512)
    repo2 = workspace.second_repo()
    client.push_blob(repo2, elsewhere)
    workspace.cleanup.blob(repo2, elsewhere.digest)
    _check_missing(_fetch(client, method, repo, elsewhere.digest), method,
                   f"{method} in {repo} of a blob pushed only to {repo2}", ("BLOB_UNKNOWN",),
                   pull.BLOB_MISSING_CODE)


# Range requests (RFC 9110 section 14) -------------------------------------------------------------
SATISFIABLE = [
    ("bytes=500-1499", 500, 1499),
    ("bytes=500-", 500, RANGE_BLOB_SIZE - 1),
    ("bytes=-500", RANGE_BLOB_SIZE - 500, RANGE_BLOB_SIZE - 1),
    ("bytes=2000-5000", 2000, RANGE_BLOB_SIZE - 1),
]


def _range_unsupported(capabilities: Capabilities, response: Response, blob: Blob, header: str) -> None:
    judge(pull.BLOB_GET_200, response.content == blob.data,
          f"Range: {header} answered 200 with a body that is not the blob")
    capabilities.record("range_requests", False, f"Range: {header} answered 200 with the full blob",
                        evidence=response.describe(), source="test_blobs")
    unsupported(f"range_requests: Range: {header} answered 200 with the whole blob")


@pytest.mark.writes
@pytest.mark.rules(pull.RANGE_SUPPORT, pull.RANGE_206_SINGLE_PART, pull.BLOB_GET_200)
@pytest.mark.parametrize(("header", "first", "last"), SATISFIABLE, ids=[case[0] for case in SATISFIABLE])
def test_range_get_answers_206_with_exactly_the_requested_bytes(
    workspace: Workspace, header: str, first: int, last: int
) -> None:
    capabilities = workspace.capabilities
    capabilities.require("range_requests")
    blob = _pushed(workspace, random_blob(workspace.content, RANGE_BLOB_SIZE))
    response = workspace.client.blob_get(workspace.repo, blob.digest, headers={"Range": header})
    if response.status_code == 200:
        _range_unsupported(capabilities, response, blob, header)
    if not judge(pull.RANGE_SUPPORT, response.status_code == 206, f"Range: {header}: {response.describe()}, "
                 "expected 206 (or 200 with the whole blob when ranges are unsupported)"):
        return
    capabilities.record("range_requests", True, f"Range: {header} answered 206", source="test_blobs")
    expected = blob.data[first : last + 1]
    judge(pull.RANGE_206_SINGLE_PART, response.content == expected,
          f"Range: {header}: {len(response.content)} bytes that are not bytes {first}-{last} of the blob")
    value = response.header("content-range") or ""
    found = CONTENT_RANGE_RE.match(value.strip())
    if not judge(pull.RANGE_206_SINGLE_PART, found is not None,
                 f"Range: {header}: Content-Range {value!r} is not 'bytes <first>-<last>/<length>'"):
        return
    assert found is not None
    judge(pull.RANGE_206_SINGLE_PART, (int(found["first"]), int(found["last"])) == (first, last),
          f"Range: {header}: Content-Range {value!r}, expected bytes {first}-{last}")
    judge(pull.RANGE_206_SINGLE_PART, found["length"] in ("*", str(blob.size)),
          f"Range: {header}: Content-Range {value!r} names a length other than {blob.size}")


UNSATISFIABLE = ["bytes=500-0", "bytes=5000-10000"]
INVALID = "bytes=500-0"  # last < first: an invalid range-spec (RFC 9110 section 14.1.1)


@pytest.mark.writes
@pytest.mark.rules(pull.RANGE_SUPPORT, pull.RANGE_416_UNSATISFIABLE, pull.RANGE_416_CONTENT_RANGE,
                   pull.BLOB_GET_200, general.HTTP_COMPLETE_ANSWER)
@pytest.mark.parametrize("header", UNSATISFIABLE)
def test_range_get_of_invalid_or_unsatisfiable_range_is_416(workspace: Workspace, header: str) -> None:
    capabilities = workspace.capabilities
    capabilities.require("range_requests")
    blob = _pushed(workspace, random_blob(workspace.content, RANGE_BLOB_SIZE))
    # an answer that is not complete HTTP fails here on general.HTTP_COMPLETE_ANSWER (never caught)
    response = workspace.client.blob_get(workspace.repo, blob.digest, headers={"Range": header})
    if response.status_code == 200:
        if header == INVALID:
            judge(pull.BLOB_GET_200, response.content == blob.data,
                  f"Range: {header} answered 200 with a body that is not the blob")
            note(f"Range: {header} answered 200 with the whole blob (RFC 9110: an invalid range MAY be "
                 "ignored)")
            return
        if capabilities.supported("range_requests"):
            judge(pull.RANGE_416_UNSATISFIABLE, False, f"Range: {header} answered 200 although the registry "
                  "serves ranges")
            return
        _range_unsupported(capabilities, response, blob, header)
    rule = pull.RANGE_SUPPORT if header == INVALID else pull.RANGE_416_UNSATISFIABLE
    if not judge(rule, response.status_code == 416, f"Range: {header}: {response.describe()}, expected 416"
                 + (" (or 200: an invalid range MAY be ignored)" if header == INVALID else "")):
        return
    value = response.header("content-range")
    judge(pull.RANGE_416_CONTENT_RANGE, value is not None and value.strip() == f"bytes */{blob.size}",
          f"Range: {header}: the 416 carries Content-Range {value!r}, expected 'bytes */{blob.size}'")


# well-known blobs ---------------------------------------------------------------------------------
WELL_KNOWN = [
    pytest.param(empty_blob(), id="empty-blob", marks=pytest.mark.feature("empty_blob")),
    pytest.param(empty_json_blob(), id="empty-json"),
]


@pytest.mark.writes
@pytest.mark.rules(*GET_RULES, *HEAD_RULES)
@pytest.mark.parametrize("blob", WELL_KNOWN)
def test_well_known_blob_round_trips_with_get_and_head(workspace: Workspace, blob: Blob) -> None:
    client, repo, config = workspace.client, workspace.repo, workspace.config
    _pushed(workspace, blob)
    _check_get(client.blob_get(repo, blob.digest), blob, config, f"GET {blob.digest}")
    _check_head(client, client.blob_head(repo, blob.digest), blob, config, f"HEAD {blob.digest}")


@pytest.mark.writes
@pytest.mark.rules(*GET_RULES, *HEAD_RULES, *SHA512_RULES)
@pytest.mark.feature("sha512")
def test_sha512_blob_round_trips_with_get_and_head(workspace: Workspace) -> None:
    client, repo, config = workspace.client, workspace.repo, workspace.config
    blob = random_blob(workspace.content, 512, algorithm="sha512")
    if not push_sha512_or_unsupported(client, repo, blob, workspace.capabilities, workspace.cleanup):
        return
    _check_get(client.blob_get(repo, blob.digest), blob, config, "GET sha512 blob")
    _check_head(client, client.blob_head(repo, blob.digest), blob, config, "HEAD sha512 blob")
