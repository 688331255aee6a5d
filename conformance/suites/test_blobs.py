"""Checks of blob pulls: `GET` / `HEAD /v2/<name>/blobs/<digest>` (end-2), `Range` requests, well-known blobs.

The spec (spec.md "Pulling blobs", "Checking if content exists"): GET of an existing blob MUST answer 200
with the blob; HEAD MUST answer 200 with `Content-Length` = the blob size; a successful GET or HEAD MUST
carry `Docker-Content-Digest`, whose value MUST match the content (it MAY use another algorithm). The
official 1.1 preset treats the header as optional; we follow the spec text and require it unless the user
switches the requirement off (`--no-digest-header`, OCI_API_BLOBS_DIGEST_HEADER=false), in which case a
missing header is a note. A missing blob MUST answer 404 (GET and HEAD, also in a missing repository,
and for a blob that was only pushed to another repository: "not found in the repository");
a JSON error body MUST be an OCI envelope, and `BLOB_UNKNOWN` (or `NAME_UNKNOWN` for a missing
repository) is the code the table names for it (a different table code warns). A registry SHOULD
support `Range` (RFC 9110 section 14): 206 with `Content-Range` and exactly the requested bytes, and
416 for an invalid or unsatisfiable range; a 200 with the full body means ranges are unsupported
(recorded as the `range_requests` capability). Well-known contents: the empty blob, `{}`, and sha512
blobs (optional: a 400 to the sha512 upload means unsupported).
"""

from __future__ import annotations

import random
import re
import secrets

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.transfers import (
    check_digest_header,
    check_error,
    push_sha512_or_unsupported,
    same_connection_still_usable,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, RegistryTransportError, Response
from conformance.content import Blob, empty_blob, empty_json_blob, random_blob
from conformance.options import RunConfig
from conformance.spec.digests import digest_bytes
from conformance.verdicts import must, note, should, unsupported

pytestmark = [pytest.mark.pull]

RANGE_BLOB_SIZE = 2048
CONTENT_RANGE_RE = re.compile(r"^bytes (?P<first>[0-9]+)-(?P<last>[0-9]+)/(?P<length>[0-9]+|\*)$")


def _pushed(client: RegistryClient, repo: str, blob: Blob, cleanup: Cleanup) -> Blob:
    client.push_blob(repo, blob)
    cleanup.blob(repo, blob.digest)
    return blob


def _check_get(response: Response, blob: Blob, config: RunConfig, what: str) -> None:
    must(response.status_code == 200, f"{what}: {response.describe()}, expected 200", ref="end-2")
    must(response.content == blob.data,
         f"{what}: body of {len(response.content)} bytes differs from the {blob.size} pushed", ref="end-2")
    length = response.header("content-length")
    if length is None:
        note(f"{what}: no Content-Length (chunked transfer)")
    else:
        must(length.strip() == str(blob.size), f"{what}: Content-Length {length}, expected {blob.size}",
             ref="spec.md#pulling-blobs")
    check_digest_header(response, blob.data, blob.digest, required=config.enabled("digest_header"),
                        what=what, ref="spec.md#pulling-blobs")


def _check_head(client: RegistryClient, response: Response, blob: Blob, config: RunConfig, what: str) -> None:
    must(response.status_code == 200, f"{what}: {response.describe()}, expected 200",
         ref="spec.md#checking-if-content-exists-in-the-registry")
    length = response.header("content-length")
    must(length is not None and length.strip() == str(blob.size),
         f"{what}: Content-Length {length!r}, expected {blob.size} (MUST on HEAD)",
         ref="spec.md#checking-if-content-exists-in-the-registry")
    must(response.content == b"", f"{what}: HEAD answer carried a body", ref="end-2")
    check_digest_header(response, blob.data, blob.digest, required=config.enabled("digest_header"),
                        what=what, ref="spec.md#checking-if-content-exists-in-the-registry")
    same_connection_still_usable(client, what=what)


def _fetch(client: RegistryClient, method: str, repo: str, digest: str) -> Response:
    """GET or HEAD of blob `digest`."""
    return client.blob_get(repo, digest) if method == "GET" else client.blob_head(repo, digest)


@pytest.mark.writes
@pytest.mark.spec("end-2", "spec.md#pulling-blobs")
@pytest.mark.level("MUST")
def test_blob_get_returns_the_exact_bytes_with_length_and_digest(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, registry_config: RunConfig
) -> None:
    blob = _pushed(client, repo, random_blob(content, 512), cleanup)
    _check_get(client.blob_get(repo, blob.digest), blob, registry_config, "GET blob")


@pytest.mark.writes
@pytest.mark.spec("end-2", "spec.md#checking-if-content-exists-in-the-registry")
@pytest.mark.level("MUST")
def test_blob_head_answers_200_with_length_digest_and_no_body(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, registry_config: RunConfig
) -> None:
    blob = _pushed(client, repo, random_blob(content, 512), cleanup)
    _check_head(client, client.blob_head(repo, blob.digest), blob, registry_config, "HEAD blob")


@pytest.mark.writes
@pytest.mark.spec("end-2", "spec.md#pulling-blobs", "code-1")
@pytest.mark.level("MUST")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_missing_blob_is_404_blob_unknown(
    client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, method: str
) -> None:
    _pushed(client, repo, random_blob(content, 64), cleanup)  # the repository exists, the blob does not
    response = _fetch(client, method, repo, digest_bytes(secrets.token_bytes(32)))
    check_error(response, {404}, {"BLOB_UNKNOWN"}, what=f"{method} of a blob never pushed",
                ref="spec.md#pulling-blobs", code_level="should")


@pytest.mark.spec("end-2", "spec.md#pulling-blobs", "code-9")
@pytest.mark.level("MUST")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_blob_in_missing_repository_is_404(client: RegistryClient, repo: str, method: str) -> None:
    response = _fetch(client, method, repo, digest_bytes(secrets.token_bytes(32)))
    codes = check_error(response, {404}, {"NAME_UNKNOWN", "BLOB_UNKNOWN"},
                        what=f"{method} of a blob in a repository never created",
                        ref="spec.md#pulling-blobs", code_level="should")
    if codes and "NAME_UNKNOWN" not in codes:
        note(f"missing repository answered {codes}; NAME_UNKNOWN would name the cause")


@pytest.mark.writes
@pytest.mark.spec("end-2", "spec.md#pulling-blobs")
@pytest.mark.level("MUST")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_blob_of_another_repository_is_404_here(
    *, client: RegistryClient, repo: str, repo2: str, content: random.Random, cleanup: Cleanup, method: str
) -> None:
    _pushed(client, repo, random_blob(content, 64), cleanup)  # both repositories exist
    elsewhere = _pushed(client, repo2, random_blob(content, 512), cleanup)
    what = f"{method} in {repo} of a blob pushed only to {repo2}"
    check_error(_fetch(client, method, repo, elsewhere.digest), {404}, {"BLOB_UNKNOWN"}, what=what,
                ref="spec.md#pulling-blobs", code_level="should")


# Range requests (RFC 9110 section 14) -------------------------------------------------------------
SATISFIABLE = [
    ("bytes=500-1499", 500, 1499),
    ("bytes=500-", 500, RANGE_BLOB_SIZE - 1),
    ("bytes=-500", RANGE_BLOB_SIZE - 500, RANGE_BLOB_SIZE - 1),
    ("bytes=2000-5000", 2000, RANGE_BLOB_SIZE - 1),
]


def _range_unsupported(capabilities: Capabilities, response: Response, blob: Blob, header: str) -> None:
    capabilities.record("range_requests", False, f"Range: {header} answered 200 with the full blob",
                        evidence=response.describe(), source="test_blobs")
    unsupported(f"range_requests: Range: {header} answered 200 with the whole blob")


@pytest.mark.writes
@pytest.mark.spec("end-2", "spec.md#pulling-blobs", "rfc9110#section-14")
@pytest.mark.level("SHOULD")
@pytest.mark.parametrize(("header", "first", "last"), SATISFIABLE, ids=[case[0] for case in SATISFIABLE])
def test_range_get_answers_206_with_exactly_the_requested_bytes(
    *, client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup,
    capabilities: Capabilities,
    header: str, first: int, last: int,
) -> None:
    capabilities.require("range_requests")
    blob = _pushed(client, repo, random_blob(content, RANGE_BLOB_SIZE), cleanup)
    response = client.blob_get(repo, blob.digest, headers={"Range": header})
    if response.status_code == 200:
        must(response.content == blob.data, f"Range: {header} answered 200 with a body that is not the blob",
             ref="end-2")
        _range_unsupported(capabilities, response, blob, header)
    must(response.status_code == 206, f"Range: {header}: {response.describe()}, expected 206 (or 200 "
         "with the whole blob when ranges are unsupported)", ref="rfc9110#section-15.3.7")
    capabilities.record("range_requests", True, f"Range: {header} answered 206", source="test_blobs")
    expected = blob.data[first : last + 1]
    must(response.content == expected, f"Range: {header}: {len(response.content)} bytes that are not bytes "
         f"{first}-{last} of the blob", ref="rfc9110#section-14.1.2")
    value = response.header("content-range") or ""
    found = CONTENT_RANGE_RE.match(value.strip())
    must(found is not None,
         f"Range: {header}: Content-Range {value!r} is not 'bytes <first>-<last>/<length>'",
         ref="rfc9110#section-14.4")
    assert found is not None
    must((int(found["first"]), int(found["last"])) == (first, last),
         f"Range: {header}: Content-Range {value!r}, expected bytes {first}-{last}",
         ref="rfc9110#section-14.4")
    must(found["length"] in ("*", str(blob.size)),
         f"Range: {header}: Content-Range {value!r} names a length other than {blob.size}",
         ref="rfc9110#section-14.4")
    length = response.header("content-length")
    if length is not None:
        must(length.strip() == str(len(expected)), f"Range: {header}: Content-Length {length}, expected "
             f"{len(expected)}", ref="rfc9110#section-8.6")


UNSATISFIABLE = ["bytes=500-0", "bytes=5000-10000"]


@pytest.mark.writes
@pytest.mark.spec("end-2", "spec.md#pulling-blobs", "rfc9110#section-14.2", "rfc9110#section-15.5.17")
@pytest.mark.level("SHOULD")
@pytest.mark.parametrize("header", UNSATISFIABLE)
def test_range_get_of_invalid_or_unsatisfiable_range_is_416(
    *, client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup,
    capabilities: Capabilities,
    header: str,
) -> None:
    capabilities.require("range_requests")
    blob = _pushed(client, repo, random_blob(content, RANGE_BLOB_SIZE), cleanup)
    try:
        response = client.blob_get(repo, blob.digest, headers={"Range": header})
    except RegistryTransportError as exc:
        must(False, f"Range: {header}: the answer is not well-formed HTTP (RFC 9112 message framing): {exc}",
             ref="rfc9112#section-6")
        raise
    if response.status_code == 200:
        must(response.content == blob.data, f"Range: {header} answered 200 with a body that is not the blob",
             ref="end-2")
        if capabilities.supported("range_requests"):
            should(False, f"Range: {header} answered 200 although the registry serves ranges; RFC 9110 says "
                   "an invalid or unsatisfiable range SHOULD get 416", ref="rfc9110#section-14.2")
            return
        _range_unsupported(capabilities, response, blob, header)
    must(response.status_code == 416, f"Range: {header}: {response.describe()}, expected 416",
         ref="rfc9110#section-14.2")
    value = response.header("content-range")
    should(value is not None and value.strip() == f"bytes */{blob.size}",
           f"Range: {header}: the 416 carries Content-Range {value!r}, expected 'bytes */{blob.size}'",
           ref="rfc9110#section-15.5.17")


# well-known blobs ---------------------------------------------------------------------------------
WELL_KNOWN = [
    pytest.param(empty_blob(), id="empty-blob", marks=pytest.mark.feature("empty_blob")),
    pytest.param(empty_json_blob(), id="empty-json"),
]


@pytest.mark.writes
@pytest.mark.spec("end-2", "spec.md#pulling-blobs", "spec.md#checking-if-content-exists-in-the-registry")
@pytest.mark.level("MUST")
@pytest.mark.parametrize("blob", WELL_KNOWN)
def test_well_known_blob_round_trips_with_get_and_head(
    client: RegistryClient, repo: str, cleanup: Cleanup, registry_config: RunConfig, blob: Blob
) -> None:
    _pushed(client, repo, blob, cleanup)
    _check_get(client.blob_get(repo, blob.digest), blob, registry_config, f"GET {blob.digest}")
    _check_head(client, client.blob_head(repo, blob.digest), blob, registry_config, f"HEAD {blob.digest}")


@pytest.mark.writes
@pytest.mark.spec("end-2", "spec.md#pulling-blobs", "image-spec descriptor.md#sha-512")
@pytest.mark.level("MUST")
@pytest.mark.feature("sha512")
def test_sha512_blob_round_trips_with_get_and_head(
    *, client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup,
    capabilities: Capabilities,
    registry_config: RunConfig,
) -> None:
    blob = random_blob(content, 512, algorithm="sha512")
    push_sha512_or_unsupported(client, repo, blob, capabilities, cleanup)
    _check_get(client.blob_get(repo, blob.digest), blob, registry_config, "GET sha512 blob")
    _check_head(client, client.blob_head(repo, blob.digest), blob, registry_config, "HEAD sha512 blob")
