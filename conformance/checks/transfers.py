"""Assertion helpers for the transfer checks: pulls, blob GET/HEAD/Range, upload methods, sessions, mounts.

Each helper states one rule and raises `must` / `should` itself (with the spec reference), so a check in
`conformance/suites/test_{pull,blobs,uploads,upload_sessions,mounts}.py` reads as a list of rules:

    location = start_session(client, repo)                        # POST -> 202 + Location (end-4a)
    patched = client.upload_patch(location, chunk, content_range=content_range(0, len(chunk)))
    location = check_session_progress(patched, stored=len(chunk), what="PATCH")   # 202, Location, Range
    check_blob_created(client, blob, client.upload_put(location, blob.digest), what="closing PUT")

- Errors: `check_error` (status in the allowed set; a JSON body MUST be an OCI error envelope, valid
  against the `error-envelope` schema; the expected code is required at the level the spec gives).
- Digests: `check_digest_header` (`Docker-Content-Digest`: required on GET/HEAD unless the user switched
  the requirement off; when present it MUST name the content: equal to the expected digest for the same
  algorithm, else recomputed over the bytes in its own algorithm).
- Uploads: `start_session`, `check_session_progress` (Location + `Range: 0-<end>`), `parse_upload_range`,
  `check_blob_created` (201, Location pulls the exact bytes, digest header), `check_blob_stored`,
  `chunk_spans` / `content_range` (chunk plans), `chunk_min_length` (`OCI-Chunk-Min-Length`),
  `with_session_id` (an unknown session's URL), `same_connection_still_usable` (HEAD sent no body).
- Methods: `upload_by(client, repo, method, data, digest)` runs one of `UPLOAD_METHODS`, checking every
  intermediate answer, and returns an `Upload` (the closing answer, and whether a single POST fell back
  to POST + PUT); `push_sha512_or_unsupported` for the optional sha512.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import schemas
from conformance.capabilities import Capabilities
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import Blob
from conformance.spec.digests import COMPUTABLE_ALGORITHMS, algorithm_of, digest_bytes
from conformance.spec.errors import MalformedEnvelopeError, parse_error_envelope
from conformance.verdicts import HarnessError, must, note, should, unsupported

UPLOAD_RANGE_RE = re.compile(r"^(?P<prefix>bytes=)?0-(?P<end>[0-9]+)$")
"""An upload progress `Range` value: `0-<end>` (a `bytes=` prefix is tolerated with a warning)."""

DEFAULT_CHUNK = 1024
"""Chunk size used when the registry advertises no `OCI-Chunk-Min-Length` (the official suite's default)."""


# errors --------------------------------------------------------------------------------------------
def error_codes(response: Response, *, what: str) -> list[str] | None:
    """The codes of a JSON error body, or None for a non-JSON (or empty) body.

    A JSON body MUST be an OCI error envelope (spec.md "Error Codes"); one that is not fails the check.
    """
    __tracebackhide__ = True
    try:
        entries = parse_error_envelope(response)
    except MalformedEnvelopeError as exc:
        must(False, f"{what}: the JSON error body of {response.describe()} is not an OCI error envelope: "
             f"{exc}", ref="spec.md#error-codes")
        raise AssertionError("unreachable") from exc
    if entries is None:
        return None
    violations = schemas.validate(response.json(), "error-envelope")
    must(not violations, f"{what}: the JSON error body of {response.describe()} does not validate against "
         "the error-envelope schema: " + "; ".join(str(violation) for violation in violations),
         ref="spec.md#error-codes")
    return [entry.code for entry in entries]


def check_error(
    response: Response,
    statuses: Collection[int],
    codes: Collection[str] = (),
    *,
    what: str,
    ref: str,
    code_level: str = "must",
) -> list[str] | None:
    """`response` is an error with a status in `statuses`; a JSON body carries one of `codes`.

    `code_level` is "must" where the spec names the code with MUST, "should" where the code is only the
    natural one (a different table code then warns). Returns the codes found (None for non-JSON).
    """
    __tracebackhide__ = True
    allowed = " or ".join(str(status) for status in sorted(statuses))
    must(response.status_code in statuses,
         f"{what}: {response.describe()}, expected {allowed}", ref=ref)
    found = error_codes(response, what=what)
    if found is None:
        if response.content:
            note(f"{what}: error body is not JSON ({response.content[:80]!r}); allowed by the spec")
        return None
    if codes:
        message = f"{what}: error codes {found}, expected one of {sorted(codes)}"
        if code_level == "must":
            must(any(code in codes for code in found), message, ref=ref)
        else:
            should(any(code in codes for code in found), message, ref=ref)
    return found


# digests -------------------------------------------------------------------------------------------
def check_digest_header(
    response: Response, content: bytes, expected: str, *, required: bool, what: str, ref: str
) -> None:
    """`Docker-Content-Digest` of `response` names `content` (whose digest we computed as `expected`).

    spec.md (pulling manifests/blobs, HEAD): a successful GET/HEAD MUST carry the header; its value MAY
    use another algorithm than the one requested, but MUST match the content. `required=False` (the
    user's `--no-digest-header` / OCI_API_*_DIGEST_HEADER=false) turns a missing header into a note.
    """
    __tracebackhide__ = True
    value = response.content_digest
    if value is None:
        if required:
            must(False, f"{what}: {response.describe()} carries no Docker-Content-Digest header "
                 "(spec.md: a successful response MUST contain it)", ref=ref)
        note(f"{what}: no Docker-Content-Digest header (requirement switched off)")
        return
    value = value.strip()
    algorithm = algorithm_of(value)
    if algorithm == algorithm_of(expected):
        must(value == expected, f"{what}: Docker-Content-Digest {value} != {expected}", ref=ref)
        return
    if algorithm not in COMPUTABLE_ALGORITHMS:
        note(f"{what}: Docker-Content-Digest {value} uses algorithm {algorithm!r}, which the harness "
             "cannot compute; not verified")
        return
    must(digest_bytes(content, algorithm) == value,
         f"{what}: Docker-Content-Digest {value} does not match the content (which hashes to "
         f"{digest_bytes(content, algorithm)})", ref=ref)
    note(f"{what}: Docker-Content-Digest uses {algorithm} where {algorithm_of(expected)} was requested "
         "(allowed: the header MAY differ in algorithm)")


# upload sessions -----------------------------------------------------------------------------------
def start_session(
    client: RegistryClient,
    repo: str,
    *,
    params: Mapping[str, str | int | None] | None = None,
    what: str = "POST /blobs/uploads/",
) -> str:
    """POST an empty upload session; it MUST answer 202 with a `Location` (end-4a). Returns the URL."""
    __tracebackhide__ = True
    response = client.upload_start(repo, params=params)
    return session_location(response, what=what)


def session_location(
    response: Response, *, what: str, status: int = 202, ref: str = "spec.md#post-then-put"
) -> str:
    """The resolved `Location` of an upload-session answer, which MUST be `status` (202) with a Location."""
    __tracebackhide__ = True
    if response.status_code != status:
        body = f" {response.content[:200]!r}" if response.content else ""
        must(False, f"{what}: {response.describe()}{body}, expected {status}", ref=ref)
    location = response.location
    must(location, f"{what}: {response.describe()} has no Location header", ref=ref)
    assert location is not None
    return location


def parse_upload_range(value: str | None) -> int | None:
    """The `<end>` of an upload progress `Range: 0-<end>` value, or None when absent or malformed."""
    if value is None:
        return None
    found = UPLOAD_RANGE_RE.match(value.strip())
    return None if found is None else int(found["end"])


def check_session_progress(
    response: Response,
    stored: int,
    *,
    what: str,
    status: int = 202,
    ref: str = "spec.md#pushing-a-blob-in-chunks",
) -> str:
    """An in-progress answer: `status`, a `Location`, and `Range: 0-<stored - 1>` (end-5, end-13).

    With nothing stored yet the spec cannot express the range (`0-0` means one byte; issues
    distribution-spec#577/#578): any well-formed value is accepted and recorded as a note.
    Returns the resolved `Location` the next request must use.
    """
    __tracebackhide__ = True
    location = session_location(response, what=what, status=status, ref=ref)
    value = response.header("range")
    must(value is not None, f"{what}: {response.describe()} has no Range header (MUST be 0-<end-of-range>)",
         ref=ref)
    assert value is not None
    end = parse_upload_range(value)
    must(end is not None, f"{what}: Range {value!r} is not of the form 0-<end-of-range>", ref=ref)
    should(not value.strip().startswith("bytes="), f"{what}: Range {value!r} carries a 'bytes=' prefix; "
           "the spec's form is 0-<end-of-range>", ref=ref)
    if stored == 0:
        note(f"{what}: Range of an empty session is {value!r} (the spec cannot express an empty upload)")
    else:
        must(end == stored - 1, f"{what}: Range {value!r} after {stored} bytes, expected 0-{stored - 1}",
             ref=ref)
    return location


def with_session_id(location: str, new_id: str) -> str:
    """`location` with its session id segment replaced (query kept verbatim): an unknown session."""
    parts = urlsplit(location)
    path = parts.path.rstrip("/")
    head = path.rsplit("/", 1)[0]
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{head}/{new_id}{query}"


def chunk_min_length(response: Response) -> int | None:
    """`OCI-Chunk-Min-Length` of a POST answer as an int (None when absent); malformed values warn."""
    value = response.header("oci-chunk-min-length")
    if value is None:
        return None
    text = value.strip()
    if not should(text.isdigit(), f"OCI-Chunk-Min-Length {value!r} is not a size in bytes",
                  ref="spec.md#pushing-a-blob-in-chunks"):
        return None
    return int(text)


def chunk_spans(total: int, count: int, min_length: int | None = None) -> list[tuple[int, int]]:
    """`(start, length)` of `count` in-order chunks covering `total` bytes; non-final ones >= `min_length`."""
    if total <= 0:
        return []
    size = max(-(-total // count), min_length or 0, 1)
    spans = []
    for start in range(0, total, size):
        spans.append((start, min(size, total - start)))
    return spans


def blob_size_for_chunks(count: int, min_length: int | None) -> int:
    """A blob size giving `count` chunks of at least `min_length` (default 1024) bytes, the last one short."""
    size = max(min_length or 0, DEFAULT_CHUNK)
    return count * size - 5


def content_range(start: int, length: int) -> str:
    """The spec's `Content-Range` value for a chunk: `<start>-<end>`, inclusive."""
    return f"{start}-{start + length - 1}"


# created blobs -------------------------------------------------------------------------------------
def check_blob_created(
    client: RegistryClient, blob: Blob, response: Response, *, what: str, ref: str = "spec.md#post-then-put"
) -> None:
    """A finished upload: 201 with a `Location` that pulls exactly `blob`; a digest header names it."""
    __tracebackhide__ = True
    must(response.status_code == 201, f"{what}: {response.describe()}, expected 201", ref=ref)
    location = response.location
    must(location, f"{what}: the 201 answer has no Location header (MUST be a pullable blob URL)", ref=ref)
    assert location is not None
    if response.content_digest is not None:
        check_digest_header(response, blob.data, blob.digest, required=False, what=f"{what} (201)", ref=ref)
    else:
        note(f"{what}: the 201 answer carries no Docker-Content-Digest")
    pulled = client.request("GET", location)
    must(pulled.status_code == 200, f"{what}: GET of the returned Location answered {pulled.status_code}",
         ref=ref)
    must(pulled.content == blob.data, f"{what}: GET of the returned Location gave {len(pulled.content)} "
         f"bytes that differ from the {blob.size} uploaded", ref=ref)


def check_blob_stored(client: RegistryClient, repo: str, blob: Blob, *, what: str) -> None:
    """`GET /v2/<repo>/blobs/<digest>` answers 200 with exactly the bytes of `blob` (end-2)."""
    __tracebackhide__ = True
    pulled = client.blob_get(repo, blob.digest)
    must(pulled.status_code == 200, f"{what}: {pulled.describe()}, expected 200", ref="end-2")
    must(pulled.content == blob.data, f"{what}: GET {blob.digest} gave {len(pulled.content)} bytes that "
         f"differ from the {blob.size} uploaded", ref="end-2")


def same_connection_still_usable(client: RegistryClient, *, what: str) -> None:
    """After a HEAD, a GET /v2/ on the same pooled connection parses: the HEAD answer sent no body.

    A body after HEAD headers would be read as the start of the next response and break its framing.
    """
    __tracebackhide__ = True
    follow_up = client.ping()
    must(follow_up.status_code in (200, 401),
         f"{what}: GET /v2/ right after the HEAD answered {follow_up.status_code}", ref="end-2")


# optional sha512 -----------------------------------------------------------------------------------
def push_sha512_or_unsupported(
    client: RegistryClient, repo: str, blob: Blob, capabilities: Capabilities, cleanup: Cleanup
) -> None:
    """Upload a sha512 `blob` (POST ?digest-algorithm=sha512, PUT with the body), registered for cleanup.

    sha512 is optional (image-spec descriptor.md: MAY); "an unsupported algorithm SHOULD get 400"
    (spec.md "Pushing blobs"), so a 400 to the POST or the PUT records `sha512` as unsupported and ends
    the check as such. Anything else but 202 then 201 fails.
    """
    __tracebackhide__ = True
    capabilities.require("sha512")
    started = client.upload_start(repo, params={"digest-algorithm": "sha512"})
    if started.status_code == 400:
        capabilities.record("sha512", False, "POST ?digest-algorithm=sha512 answered 400",
                            evidence=started.describe(), source="transfers")
        unsupported("sha512: POST ?digest-algorithm=sha512 answered 400")
    location = session_location(started, what="POST ?digest-algorithm=sha512")
    finished = client.upload_put(location, blob.digest, blob.data)
    if finished.status_code == 400:
        capabilities.record("sha512", False, "closing PUT with a sha512 digest answered 400",
                            evidence=finished.describe(), source="transfers")
        unsupported("sha512: the closing PUT with a sha512 digest answered 400")
    must(finished.status_code == 201, f"sha512 upload: {finished.describe()}, expected 201 (or 400 when "
         "sha512 is unsupported)", ref="end-6")
    capabilities.record("sha512", True, "a sha512 blob was uploaded (201)", source="transfers")
    cleanup.blob(repo, blob.digest)


# upload methods ------------------------------------------------------------------------------------
UPLOAD_METHODS = ("single-post", "post-put", "chunked", "chunked-final-in-put", "stream")
"""Every way to upload a blob: single `POST ?digest=`, POST + PUT with the body, PATCHes with
`Content-Range` then an empty PUT, PATCHes with the last chunk in the closing PUT (with `Content-Range`),
and one PATCH without `Content-Range` (streamed) then an empty PUT."""


@dataclass
class Upload:
    """What an upload by one method ended with: the closing answer and whether single POST fell back."""

    final: Response
    single_post_fallback: bool = False


def upload_by(
    client: RegistryClient,
    repo: str,
    method: str,
    data: bytes,
    digest: str,
    *,
    chunks: int = 3,
    params: Mapping[str, str | int | None] | None = None,
    started: Response | None = None,
) -> Upload:
    """Upload `data` under `digest` (not necessarily its own: negative checks lie) with `method`.

    Intermediate steps are checked as they go (POST 202 + Location; every PATCH 202 with `Location` and
    `Range: 0-<end>`, the next request going to the LATEST Location); the closing answer is returned
    for the caller to judge. A single POST answered 202 is completed with a PUT of the body (the spec's
    fallback) and flagged `single_post_fallback`. `started` is the answer of a POST the caller already
    sent (with `params`), used instead of a new one.
    """
    __tracebackhide__ = True
    if method == "single-post":
        posted = client.upload_monolithic(repo, data, digest)
        if posted.status_code != 202:
            return Upload(posted)
        location = session_location(posted, what="single POST answered 202 (unsupported): its session")
        return Upload(client.upload_put(location, digest, data), single_post_fallback=True)
    if started is None:
        started = client.upload_start(repo, params=params)
    location = session_location(started, what="POST /blobs/uploads/")
    if method == "post-put":
        return Upload(client.upload_put(location, digest, data))
    if method == "stream":
        patched = client.upload_patch(location, data)
        location = check_session_progress(patched, len(data), what="streamed PATCH (no Content-Range)")
        return Upload(client.upload_put(location, digest))
    if method not in ("chunked", "chunked-final-in-put"):
        raise HarnessError(f"unknown upload method {method!r}; known: {UPLOAD_METHODS}")
    spans = chunk_spans(len(data), chunks, chunk_min_length(started))
    last = spans.pop() if method == "chunked-final-in-put" and spans else None
    for start, length in spans:
        patched = client.upload_patch(location, data[start : start + length],
                                      content_range=content_range(start, length))
        location = check_session_progress(patched, start + length,
                                          what=f"PATCH bytes {content_range(start, length)}")
    if last is None:
        return Upload(client.upload_put(location, digest))
    start, length = last
    closing = client.upload_put(location, digest, data[start:], content_range=content_range(start, length))
    return Upload(closing)
