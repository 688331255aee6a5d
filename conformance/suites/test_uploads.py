"""Checks of every blob upload method (end-4a/4b/4c, end-5, end-6) and what it leaves in the registry.

spec.md "Pushing blobs": POST then PUT (the POST answers 202 with a `Location`, the closing
`PUT <location>?digest=` 201 with a `Location` that is a pullable blob URL); single `POST ?digest=` with
the body MAY be supported (201 + `Location`), and a registry that does not support it SHOULD answer 202 with
a `Location` (the suite then PUTs the body and records `single_post` as unsupported); chunked PATCHes with
`Content-Range` (each 202 with `Location` and `Range: 0-<end>`, the next request going to the latest
`Location`), the final chunk in a PATCH or in the closing PUT; one PATCH without `Content-Range` (a stream,
which spec.md does not describe: a refusal is advice). Every finished upload is read back: its `Location`
and `GET /v2/<name>/blobs/<digest>` must give exactly the bytes sent. A refused step of a valid upload
fails on the Push category claim.

A digest the bytes do not match: the main branch asks for 400 (SHOULD; no sentence in v1.1.1, so advice
there); what decides is the effect: nothing may be served under the digest that does not hash to it (a 201
naming no such blob, or a GET of the digest serving other bytes, fails). sha512 is optional (400 =
unsupported; clients SHOULD send `digest-algorithm=sha512`, we try with and without). The empty blob goes
through every method that can carry it. Two uploads of the same blob in parallel both complete
(the "Layer Upload De-duplication" use case; each step judged by its own rule).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.transfers import (
    CREATED_RULES,
    NO_FALSE_BLOB_RULES,
    REFUSAL_RULES,
    SHA512_RULES,
    UPLOAD_METHODS,
    UPLOAD_RULES,
    Upload,
    blob_size_for_chunks,
    check_blob_created,
    check_blob_stored,
    check_no_false_blob,
    check_refusal,
    check_session_progress,
    chunk_min_length,
    chunk_spans,
    content_range,
    session_location,
    single_post_refused,
    upload_by,
)
from conformance.client import RegistryClient, Response
from conformance.content import empty_blob, random_blob
from conformance.fixtures import Workspace
from conformance.ledger.rules import uploads
from conformance.verdicts import HarnessError, judge, unsupported

pytestmark = [pytest.mark.push, pytest.mark.uploads, pytest.mark.writes,
              pytest.mark.rules(*UPLOAD_RULES, *CREATED_RULES)]

CHUNKED_SIZE = blob_size_for_chunks(3, None)  # 3067 bytes: three chunks, the last one 5 bytes short
BARRIER_TIMEOUT = 20.0
CLOSE_RULES = (uploads.SINGLE_POST_SUPPORT, uploads.SINGLE_POST_201, uploads.UPLOAD_PUT_201,
               uploads.CHUNKED_CLOSE_201, uploads.FINAL_CHUNK_IN_PUT)


def _single_post_outcome(capabilities: Capabilities, upload: Upload) -> None:
    """After the checks passed on the fallback path, end the check as unsupported single POST."""
    if upload.single_post_fallback:
        capabilities.record("single_post", False, "POST ?digest= with the body answered 202",
                            evidence=upload.final.describe(), source="test_uploads")
        unsupported("single_post: POST ?digest= answered 202 (allowed); the POST+PUT fallback worked")
    capabilities.record("single_post", True, "POST ?digest= answered 201", source="test_uploads")


METHOD_CASES = [
    pytest.param("single-post", 1, id="single-post"),
    pytest.param("post-put", 1, id="post-put"),
    pytest.param("chunked", 1, id="chunked-1-chunk"),
    pytest.param("chunked", 3, id="chunked-3-chunks"),
    pytest.param("chunked-final-in-put", 3, id="chunked-final-chunk-in-put"),
    pytest.param("stream", 1, id="streamed-patch"),
]


@pytest.mark.rules(*CLOSE_RULES)
@pytest.mark.parametrize(("method", "chunks"), METHOD_CASES)
def test_upload_creates_a_blob_pullable_at_the_returned_location(
    workspace: Workspace, method: str, chunks: int
) -> None:
    client, repo = workspace.client, workspace.repo
    blob = random_blob(workspace.content, CHUNKED_SIZE if method.startswith("chunked") else 512)
    workspace.cleanup.blob(repo, blob.digest)
    upload = upload_by(client, repo, method, blob.data, blob.digest, chunks=chunks)
    if single_post_refused(upload, workspace.capabilities, source="test_uploads"):
        return
    check_blob_created(client, blob, upload.final, what=f"{method} upload", rule=upload.close_rule)
    check_blob_stored(client, repo, blob, what=f"{method} upload")
    if method == "single-post":
        _single_post_outcome(workspace.capabilities, upload)


@pytest.mark.rules(*CLOSE_RULES)
@pytest.mark.feature("empty_blob")
@pytest.mark.parametrize("method", ["single-post", "post-put", "stream"])
def test_empty_blob_upload_succeeds(workspace: Workspace, method: str) -> None:
    client, repo = workspace.client, workspace.repo
    blob = empty_blob()
    workspace.cleanup.blob(repo, blob.digest)
    upload = upload_by(client, repo, method, blob.data, blob.digest)
    if single_post_refused(upload, workspace.capabilities, source="test_uploads"):
        return
    check_blob_created(client, blob, upload.final, what=f"empty blob by {method}", rule=upload.close_rule)
    check_blob_stored(client, repo, blob, what=f"empty blob by {method}")
    if method == "single-post":
        _single_post_outcome(workspace.capabilities, upload)


@pytest.mark.rules(*CLOSE_RULES, *REFUSAL_RULES, *NO_FALSE_BLOB_RULES, uploads.DIGEST_INVALID_400,
                   uploads.DIGEST_VERIFIED, uploads.UPLOAD_DIGEST_INVALID_CODE)
@pytest.mark.parametrize("method", UPLOAD_METHODS)
def test_upload_with_a_digest_that_does_not_match_is_refused(workspace: Workspace, method: str) -> None:
    client, repo = workspace.client, workspace.repo
    blob = random_blob(workspace.content, CHUNKED_SIZE)
    tampered = blob.data + b"extra"  # the digest names `blob`, the bytes sent are 5 longer
    upload = upload_by(client, repo, method, tampered, blob.digest)
    response = upload.final
    if upload.stopped or (method == "single-post" and response.status_code not in (201, 400)
                          and single_post_refused(upload, workspace.capabilities, source="test_uploads")):
        return
    what = f"{method} upload whose digest does not match the bytes"
    if 200 <= response.status_code < 300:
        judge(uploads.DIGEST_VERIFIED, False, f"{what}: {response.describe()}: the registry accepted bytes "
              f"under a digest they do not hash to")
    else:
        judge(uploads.DIGEST_INVALID_400, response.status_code == 400, f"{what}: {response.describe()}, "
              "expected 400")
        check_refusal(response, what=what, codes={"DIGEST_INVALID"},
                      code_rule=uploads.UPLOAD_DIGEST_INVALID_CODE)
    check_no_false_blob(client, repo, blob.digest, response, what=what, rule=upload.close_rule)
    if method == "single-post":
        _single_post_outcome(workspace.capabilities, upload)


SHA512_CASES = [
    pytest.param("single-post", False, id="single-post"),
    pytest.param("post-put", True, id="post-put-with-digest-algorithm"),
    pytest.param("post-put", False, id="post-put-without-digest-algorithm"),
    pytest.param("chunked", True, id="chunked-with-digest-algorithm"),
    pytest.param("chunked", False, id="chunked-without-digest-algorithm"),
]


def _sha512_refusal(response: Response, capabilities: Capabilities, what: str) -> None:
    """A sha512 step refused: 400 ends the check unsupported; another refusal breaks the SHOULD of 400."""
    capabilities.record("sha512", False, f"{what} answered {response.status_code}",
                        evidence=response.describe(), source="test_uploads")
    if response.status_code == 400:
        unsupported(f"sha512: {what} answered 400")
    judge(uploads.DIGEST_INVALID_400, False, f"{what}: {response.describe()}; an unsupported algorithm "
          "SHOULD get 400")


@pytest.mark.rules(*CLOSE_RULES, *SHA512_RULES)
@pytest.mark.feature("sha512")
@pytest.mark.parametrize(("method", "with_algorithm"), SHA512_CASES)
def test_sha512_upload_creates_a_blob_pullable_by_its_sha512_digest(
    workspace: Workspace, method: str, with_algorithm: bool
) -> None:
    client, repo, capabilities = workspace.client, workspace.repo, workspace.capabilities
    capabilities.require("sha512")
    blob = random_blob(workspace.content, CHUNKED_SIZE, algorithm="sha512")
    workspace.cleanup.blob(repo, blob.digest)
    started = None
    if method != "single-post":
        started = client.upload_start(repo, params={"digest-algorithm": "sha512"} if with_algorithm else None)
        if with_algorithm and not 200 <= started.status_code < 300:
            _sha512_refusal(started, capabilities, "POST ?digest-algorithm=sha512")
            return
    upload = upload_by(client, repo, method, blob.data, blob.digest, started=started)
    final = upload.final
    if upload.stopped or (method == "single-post" and final.status_code not in (201, 400)
                          and single_post_refused(upload, capabilities, source="test_uploads")):
        return
    if not 200 <= final.status_code < 300:
        if final.status_code == 400 and not with_algorithm:  # clients SHOULD send it: needing it is allowed
            unsupported(f"sha512 upload without ?digest-algorithm=sha512: {method} answered 400")
        _sha512_refusal(final, capabilities, f"the {method} upload with a sha512 digest")
        return
    check_blob_created(client, blob, final, what=f"sha512 {method} upload", rule=upload.close_rule)
    check_blob_stored(client, repo, blob, what=f"sha512 {method} upload")
    capabilities.record("sha512", True, f"sha512 blob uploaded by {method}", source="test_uploads")
    if method == "single-post":
        _single_post_outcome(capabilities, upload)


@pytest.mark.rules(uploads.CHUNKED_CLOSE_201)
def test_chunks_sized_to_the_advertised_minimum_are_accepted(workspace: Workspace) -> None:
    client, repo, capabilities = workspace.client, workspace.repo, workspace.capabilities
    started = client.upload_start(repo)
    location = session_location(started, what="POST /blobs/uploads/")
    minimum = chunk_min_length(started)
    if minimum is None:
        client.upload_cancel(location)
        capabilities.record("chunk_min_length", False, "no OCI-Chunk-Min-Length on the POST answer",
                            evidence=started.describe(), source="test_uploads")
        unsupported("chunk_min_length: the registry advertises no minimum chunk size (any size allowed)")
    capabilities.record("chunk_min_length", True, f"OCI-Chunk-Min-Length: {minimum}", source="test_uploads")
    if minimum > 64 * 1024 * 1024:
        client.upload_cancel(location)
        pytest.skip(f"OCI-Chunk-Min-Length {minimum} is larger than this check sends (64 MiB)")
    blob = random_blob(workspace.content, 2 * max(minimum, 1) + 7)
    workspace.cleanup.blob(repo, blob.digest)
    spans = chunk_spans(blob.size, 3, minimum)
    if any(length < minimum for _, length in spans[:-1]):
        raise HarnessError(f"chunk plan {spans} violates the minimum {minimum}")
    for start, length in spans:
        patched = client.upload_patch(location, blob.data[start : start + length],
                                      content_range=content_range(start, length))
        location = check_session_progress(patched, start + length,
                                          what=f"PATCH of {length} bytes (minimum {minimum})")
    check_blob_created(client, blob, client.upload_put(location, blob.digest), what="minimum-sized chunks",
                       rule=uploads.CHUNKED_CLOSE_201)


def _first_chunk(started: Response, size: int) -> int:
    """Half the blob, or the advertised minimum (read without judging: threads have no verdict recorder)."""
    value = (started.header("oci-chunk-min-length") or "").strip()
    return min(max(size // 2, int(value) if value.isdigit() else 0), size)


@pytest.mark.rules(uploads.LAYER_UPLOAD_DEDUP, uploads.CHUNKED_CLOSE_201)
def test_parallel_uploads_of_the_same_blob_both_complete(workspace: Workspace) -> None:
    client, repo = workspace.client, workspace.repo
    blob = random_blob(workspace.content, CHUNKED_SIZE)
    workspace.cleanup.blob(repo, blob.digest)
    clients = [workspace.new_client(), workspace.new_client()]  # one per thread, made here
    barrier = threading.Barrier(len(clients), timeout=BARRIER_TIMEOUT)

    def upload(worker: RegistryClient) -> list[Response]:
        """POST, first chunk, the rest in the PUT, in step with the other upload (answers judged later)."""
        answers: list[Response] = []
        try:
            started = worker.upload_start(repo)
            answers.append(started)
            first = _first_chunk(started, blob.size)
            location = started.location if started.status_code == 202 else None
            barrier.wait()  # both sessions open before any bytes move
            if location is not None:
                patched = worker.upload_patch(location, blob.data[:first],
                                              content_range=content_range(0, first))
                answers.append(patched)
                location = patched.location if patched.status_code == 202 else None
            barrier.wait()  # both first chunks stored before either closes
            if location is not None:
                rest = blob.data[first:]
                closing_range = content_range(first, len(rest)) if rest else None
                answers.append(worker.upload_put(location, blob.digest, rest, content_range=closing_range))
        except BaseException:
            barrier.abort()  # never leave the other thread waiting
            raise
        return answers

    try:
        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            results = list(pool.map(upload, clients))
    finally:
        for worker in clients:
            worker.close()
    for index, answers in enumerate(results, start=1):
        what = f"parallel upload {index} of 2 (both proceed; the first to complete is stored)"
        session_location(answers[0], what=f"{what}: POST")
        if len(answers) > 1:
            check_session_progress(answers[1], _first_chunk(answers[0], blob.size), what=f"{what}: PATCH")
        if len(answers) < 3:
            raise HarnessError(f"{what}: the upload stopped after {len(answers)} steps without a verdict")
        check_blob_created(client, blob, answers[2], what=f"{what}: closing PUT",
                           rule=uploads.CHUNKED_CLOSE_201)
    check_blob_stored(client, repo, blob, what="after two parallel uploads")
