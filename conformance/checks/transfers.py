"""Blob transfers as checks use them: every upload method, the optional sha512 push, the helpers they share.

The verdict helpers live in `upload_steps` (session steps, chunk plans) and `blob_checks` (created and stored
blobs, digest headers, refusals) and are re-exported here, where the suites of several areas import them:

    upload = upload_by(client, repo, "chunked", blob.data, blob.digest)   # intermediate steps judged
    if not upload.stopped:
        check_blob_created(client, blob, upload.final, what="chunked upload", rule=upload.close_rule)

- Methods: `upload_by(client, repo, method, data, digest)` runs one of `UPLOAD_METHODS`, judging every
  intermediate answer (each request goes to the LATEST Location, verbatim), and returns an `Upload`: the
  closing answer for the caller to judge, whether a single POST fell back to POST + PUT, whether a step
  broke a rule that let the check go on (`stopped`: the upload cannot continue), and the 201 rule of
  the method (`close_rule`).
- sha512 (optional): `push_sha512_or_unsupported`.
- Errors, in the form other areas' checks call: `error_codes` (codes of a JSON error body).

`UPLOAD_RULES` lists what `upload_by` can judge, for the `rules` marks of callers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from conformance.capabilities import Capabilities
from conformance.checks.blob_checks import (
    CREATED_RULES,
    NO_FALSE_BLOB_RULES,
    REFUSAL_RULES,
    check_blob_created,
    check_blob_stored,
    check_digest_header,
    check_no_false_blob,
    check_refusal,
    same_connection_still_usable,
)
from conformance.checks.documents import error_codes as envelope_codes
from conformance.checks.upload_steps import (
    DEFAULT_CHUNK,
    SESSION_RULES,
    UPLOAD_RANGE_RE,
    blob_size_for_chunks,
    check_session_progress,
    check_step,
    chunk_min_length,
    chunk_spans,
    content_range,
    fallback_location,
    parse_upload_range,
    session_location,
    session_progress,
    start_session,
    with_session_id,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient, Response
from conformance.content import Blob
from conformance.ledger.model import Rule
from conformance.ledger.rules import uploads
from conformance.verdicts import HarnessError, judge, unsupported

__all__ = [
    "CREATED_RULES", "DEFAULT_CHUNK", "NO_FALSE_BLOB_RULES", "REFUSAL_RULES", "SESSION_RULES", "SHA512_RULES",
    "UPLOAD_METHODS", "UPLOAD_RANGE_RE", "UPLOAD_RULES", "Upload", "blob_size_for_chunks",
    "check_blob_created",
    "check_blob_stored", "check_digest_header", "check_no_false_blob", "check_refusal",
    "check_session_progress", "check_step", "chunk_min_length", "chunk_spans", "content_range",
    "error_codes", "fallback_location", "parse_upload_range", "push_sha512_or_unsupported",
    "same_connection_still_usable", "session_location", "session_progress", "single_post_refused",
    "start_session", "upload_by", "with_session_id",
]

UPLOAD_METHODS = ("single-post", "post-put", "chunked", "chunked-final-in-put", "stream")
"""Every way to upload a blob: single `POST ?digest=`, POST + PUT with the body, PATCHes with
`Content-Range` then an empty PUT, PATCHes with the last chunk in the closing PUT (with `Content-Range`),
and one PATCH without `Content-Range` (streamed) then an empty PUT."""

UPLOAD_RULES: tuple[Rule, ...] = (
    *SESSION_RULES, uploads.SINGLE_POST_FALLBACK_202, uploads.STREAMED_PATCH,
)
"""What `upload_by` can judge on the way (the closing answer is the caller's to judge)."""

SHA512_RULES: tuple[Rule, ...] = (
    uploads.UPLOAD_POST_202, uploads.UPLOAD_PUT_201, uploads.DIGEST_INVALID_400,
)
"""What `push_sha512_or_unsupported` can judge."""

_CLOSE_RULES = {
    "single-post": uploads.SINGLE_POST_201, "post-put": uploads.UPLOAD_PUT_201,
    "chunked": uploads.CHUNKED_CLOSE_201, "chunked-final-in-put": uploads.CHUNKED_CLOSE_201,
    "stream": uploads.CHUNKED_CLOSE_201,
}


def error_codes(response: Response, *, what: str = "") -> list[str] | None:
    """The codes of a JSON error body, or None for a non-JSON (or empty) body.

    Delegates to `conformance.checks.documents.error_codes`: a JSON 4XX body MUST be an OCI error envelope
    (`general.ERROR_ENVELOPE`); `what` is kept for callers of the first suite version.
    """
    __tracebackhide__ = True
    return envelope_codes(response)


@dataclass
class Upload:
    """What an upload by one method ended with.

    `final` is the closing answer (or the answer a `stopped` upload ended at); `single_post_fallback` says a
    single POST answered 202 and the blob went up by PUT; `stopped` says a step broke a rule whose level
    let the check go on (a SHOULD, advice), so the upload did not reach its closing request.
    """

    final: Response
    method: str
    single_post_fallback: bool = False
    stopped: bool = False

    @property
    def close_rule(self) -> Rule:
        """The sentence a successful close of this method is held to (201 with a pullable Location)."""
        if self.single_post_fallback:
            return uploads.UPLOAD_PUT_201
        return _CLOSE_RULES[self.method]


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

    Intermediate steps are judged as they go (POST 202 + Location; every PATCH 202 with `Location` and
    `Range: 0-<end>`, the next request going to the LATEST Location); the closing answer is returned for
    the caller to judge. A single POST answered 202 is completed with a PUT of the body (the spec's
    fallback); one answered neither 201 nor 202 is returned as the final answer. `started` is the answer of
    a POST the caller already sent (with `params`), used instead of a new one.
    """
    __tracebackhide__ = True
    if method not in UPLOAD_METHODS:
        raise HarnessError(f"unknown upload method {method!r}; known: {UPLOAD_METHODS}")
    if method == "single-post":
        return _single_post(client, repo, data, digest)
    if started is None:
        started = client.upload_start(repo, params=params)
    location = session_location(started, what="POST /blobs/uploads/")
    if method == "post-put":
        return Upload(client.upload_put(location, digest, data), method)
    if method == "stream":
        patched = client.upload_patch(location, data)
        streamed = session_progress(patched, len(data), what="streamed PATCH (no Content-Range)",
                                    refusal_rule=uploads.STREAMED_PATCH)
        if streamed is None:
            return Upload(patched, method, stopped=True)
        return Upload(client.upload_put(streamed, digest), method)
    spans = chunk_spans(len(data), chunks, chunk_min_length(started))
    last = spans.pop() if method == "chunked-final-in-put" and spans else None
    for start, length in spans:
        patched = client.upload_patch(location, data[start : start + length],
                                      content_range=content_range(start, length))
        location = check_session_progress(patched, start + length,
                                          what=f"PATCH bytes {content_range(start, length)}")
    if last is None:
        return Upload(client.upload_put(location, digest), method)
    start, length = last
    closing = client.upload_put(location, digest, data[start:], content_range=content_range(start, length))
    return Upload(closing, method)


def _single_post(client: RegistryClient, repo: str, data: bytes, digest: str) -> Upload:
    posted = client.upload_monolithic(repo, data, digest)
    if posted.status_code != 202:
        return Upload(posted, "single-post")
    location = fallback_location(posted, what="single POST answered 202 (unsupported): its session",
                                 rule=uploads.SINGLE_POST_FALLBACK_202)
    if location is None:
        return Upload(posted, "single-post", single_post_fallback=True, stopped=True)
    return Upload(client.upload_put(location, digest, data), "single-post", single_post_fallback=True)


def single_post_refused(upload: Upload, capabilities: Capabilities, *, source: str) -> bool:
    """A single POST answered neither 201 nor 202: the SHOULD of unsupported single POSTs broken, recorded.

    True when the check cannot go on with this upload (the caller returns).
    """
    __tracebackhide__ = True
    if upload.method != "single-post" or upload.single_post_fallback or upload.final.status_code == 201:
        return upload.stopped
    judge(uploads.SINGLE_POST_FALLBACK_202, False,
          f"single POST ?digest= with the body: {upload.final.describe()}, expected 201, or 202 with a "
          "Location when single POST is unsupported")
    capabilities.record("single_post", False, f"POST ?digest= answered {upload.final.status_code}",
                        evidence=upload.final.describe(), source=source)
    return True


def push_sha512_or_unsupported(
    client: RegistryClient, repo: str, blob: Blob, capabilities: Capabilities, cleanup: Cleanup
) -> bool:
    """Upload a sha512 `blob` (POST ?digest-algorithm=sha512, PUT with the body), registered for cleanup.

    sha512 is optional, and "an unsupported algorithm SHOULD get 400" (main branch), so a 400 to the POST or
    the PUT records `sha512` as unsupported and ends the check as such. Another refusal breaks that SHOULD
    (`DIGEST_INVALID_400`) and returns False (the caller returns); a 2xx must be 202, then 201.
    """
    __tracebackhide__ = True
    capabilities.require("sha512")
    started = client.upload_start(repo, params={"digest-algorithm": "sha512"})
    if _sha512_refused(started, capabilities, "POST ?digest-algorithm=sha512"):
        return False
    location = session_location(started, what="POST ?digest-algorithm=sha512")
    finished = client.upload_put(location, blob.digest, blob.data)
    if _sha512_refused(finished, capabilities, "the closing PUT with a sha512 digest"):
        return False
    check_step(finished, 201, uploads.UPLOAD_PUT_201, "sha512 upload")
    capabilities.record("sha512", True, "a sha512 blob was uploaded (201)", source="transfers")
    cleanup.blob(repo, blob.digest)
    return True


def _sha512_refused(response: Response, capabilities: Capabilities, what: str) -> bool:
    """A refused sha512 step (sha512 unsupported): 400 ends the check unsupported; others break a SHOULD."""
    __tracebackhide__ = True
    if 200 <= response.status_code < 300:
        return False
    capabilities.record("sha512", False, f"{what} answered {response.status_code}",
                        evidence=response.describe(), source="transfers")
    if response.status_code == 400:
        unsupported(f"sha512: {what} answered 400")
    judge(uploads.DIGEST_INVALID_400, False,
          f"{what}: {response.describe()}; an unsupported algorithm SHOULD get 400")
    return True
