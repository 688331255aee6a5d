"""Checks of every blob upload method (end-4a/4b/4c, end-5, end-6) and what it leaves in the registry.

The spec (spec.md "Pushing blobs"): POST then PUT — the POST MUST answer 202 with a `Location`, the closing
`PUT <location>?digest=` MUST answer 201 with a `Location` that is a pullable blob URL. Single POST
`?digest=` with the body MAY be supported (201 + `Location`); a registry that does not support it SHOULD
answer 202 with a `Location`, and the client then PUTs the body (we check that path and record
`single_post` as unsupported). Chunked: each PATCH with `Content-Range` MUST answer 202 with `Location` and
`Range: 0-<end>`, the next request SHOULD use the latest `Location` (we always do); the final chunk MAY ride
in the closing PUT with `Content-Range`; a PATCH without `Content-Range` streams the body. Chunks honour
`OCI-Chunk-Min-Length` when the POST advertises it. Every finished upload must be pullable by its digest with
the exact bytes; a `Docker-Content-Digest` on the 201 MUST name the content. A digest that does not match
the content SHOULD get 400 (`DIGEST_INVALID`, spec.md "Pushing blobs"); accepting it (2xx) or serving the
blob under that digest afterwards is a MUST violation (content addressing), on every method — including
the final chunk sent in the PUT, which the official suite's E4 never actually sends. sha512 is optional
(400 = unsupported); clients SHOULD send `digest-algorithm=sha512` on the POST, we try with and without.
The empty blob goes through every method that can carry it. Two uploads of the same blob in parallel both
proceed and complete (spec.md "Layer Upload De-duplication").
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.transfers import (
    UPLOAD_METHODS,
    Upload,
    blob_size_for_chunks,
    check_blob_created,
    check_blob_stored,
    check_error,
    check_session_progress,
    chunk_min_length,
    chunk_spans,
    content_range,
    session_location,
    upload_by,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient
from conformance.content import empty_blob, random_blob
from conformance.fixtures import RegistryTarget
from conformance.verdicts import HarnessError, must, should, unsupported

pytestmark = [pytest.mark.push, pytest.mark.uploads, pytest.mark.writes]

CHUNKED_SIZE = blob_size_for_chunks(3, None)  # 3067 bytes: three chunks, the last one 5 bytes short
BARRIER_TIMEOUT = 20.0


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


@pytest.mark.spec("end-4a", "end-4b", "end-5", "end-6", "spec.md#pushing-blobs")
@pytest.mark.level("MUST")
@pytest.mark.parametrize(("method", "chunks"), METHOD_CASES)
def test_upload_creates_a_blob_pullable_at_the_returned_location(
    *, client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup,
    capabilities: Capabilities, method: str, chunks: int,
) -> None:
    blob = random_blob(content, CHUNKED_SIZE if method.startswith("chunked") else 512)
    cleanup.blob(repo, blob.digest)
    upload = upload_by(client, repo, method, blob.data, blob.digest, chunks=chunks)
    check_blob_created(client, blob, upload.final, what=f"{method} upload")
    check_blob_stored(client, repo, blob, what=f"{method} upload")
    if method == "single-post":
        _single_post_outcome(capabilities, upload)


@pytest.mark.spec("end-4b", "end-6", "spec.md#pushing-blobs")
@pytest.mark.level("MUST")
@pytest.mark.feature("empty_blob")
@pytest.mark.parametrize("method", ["single-post", "post-put", "stream"])
def test_empty_blob_upload_succeeds(
    *, client: RegistryClient, repo: str, cleanup: Cleanup, capabilities: Capabilities, method: str
) -> None:
    blob = empty_blob()
    cleanup.blob(repo, blob.digest)
    upload = upload_by(client, repo, method, blob.data, blob.digest)
    check_blob_created(client, blob, upload.final, what=f"empty blob by {method}")
    check_blob_stored(client, repo, blob, what=f"empty blob by {method}")
    if method == "single-post":
        _single_post_outcome(capabilities, upload)


@pytest.mark.spec("end-4b", "end-6", "spec.md#pushing-blobs", "code-4")
@pytest.mark.level("MUST")
@pytest.mark.parametrize("method", UPLOAD_METHODS)
def test_upload_with_a_digest_that_does_not_match_is_refused(
    *, client: RegistryClient, repo: str, content: random.Random, capabilities: Capabilities, method: str
) -> None:
    blob = random_blob(content, CHUNKED_SIZE)
    tampered = blob.data + b"extra"  # the digest names `blob`, the bytes sent are 5 longer
    upload = upload_by(client, repo, method, tampered, blob.digest)
    response = upload.final
    what = f"{method} upload whose digest does not match the bytes"
    must(not 200 <= response.status_code < 300, f"{what}: {response.describe()}: the registry accepted "
         "content under a digest it does not hash to", ref="spec.md#pushing-blobs")
    must(400 <= response.status_code < 500, f"{what}: {response.describe()}, expected a 4xx (400)",
         ref="spec.md#pushing-blobs")
    should(response.status_code == 400, f"{what}: {response.describe()}, expected 400",
           ref="spec.md#pushing-blobs")
    check_error(response, {response.status_code}, {"DIGEST_INVALID"}, what=what, ref="code-4",
                code_level="should")
    pulled = client.blob_head(repo, blob.digest)
    must(pulled.status_code == 404, f"{what}: afterwards HEAD {blob.digest} answered {pulled.status_code}, "
         "expected 404 (nothing may be stored under a digest the content does not match)", ref="end-2")
    if method == "single-post":
        _single_post_outcome(capabilities, upload)


SHA512_CASES = [
    pytest.param("single-post", False, id="single-post"),
    pytest.param("post-put", True, id="post-put-with-digest-algorithm"),
    pytest.param("post-put", False, id="post-put-without-digest-algorithm"),
    pytest.param("chunked", True, id="chunked-with-digest-algorithm"),
    pytest.param("chunked", False, id="chunked-without-digest-algorithm"),
]


@pytest.mark.spec("end-4b", "end-4c", "end-6", "spec.md#pushing-a-blob-in-chunks",
                  "image-spec descriptor.md#sha-512")
@pytest.mark.level("MUST")
@pytest.mark.feature("sha512")
@pytest.mark.parametrize(("method", "with_algorithm"), SHA512_CASES)
def test_sha512_upload_creates_a_blob_pullable_by_its_sha512_digest(
    *, client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup,
    capabilities: Capabilities, method: str, with_algorithm: bool,
) -> None:
    capabilities.require("sha512")
    blob = random_blob(content, CHUNKED_SIZE, algorithm="sha512")
    cleanup.blob(repo, blob.digest)
    started = None
    if method != "single-post":
        started = client.upload_start(repo, params={"digest-algorithm": "sha512"} if with_algorithm else None)
        if with_algorithm and started.status_code == 400:
            capabilities.record("sha512", False, "POST ?digest-algorithm=sha512 answered 400",
                                evidence=started.describe(), source="test_uploads")
            unsupported("sha512: POST ?digest-algorithm=sha512 answered 400")
    upload = upload_by(client, repo, method, blob.data, blob.digest, started=started)
    if upload.final.status_code == 400:
        reason = f"{method}: the upload with a sha512 digest answered 400"
        if not with_algorithm:  # clients SHOULD send the parameter: needing it is the registry's right
            unsupported(f"sha512 upload without ?digest-algorithm=sha512: {reason}")
        capabilities.record("sha512", False, reason, evidence=upload.final.describe(), source="test_uploads")
        unsupported("sha512: " + reason)
    check_blob_created(client, blob, upload.final, what=f"sha512 {method} upload")
    check_blob_stored(client, repo, blob, what=f"sha512 {method} upload")
    capabilities.record("sha512", True, f"sha512 blob uploaded by {method}", source="test_uploads")
    if method == "single-post":
        _single_post_outcome(capabilities, upload)


@pytest.mark.spec("end-4a", "end-5", "spec.md#pushing-a-blob-in-chunks")
@pytest.mark.level("SHOULD")
def test_chunks_sized_to_the_advertised_minimum_are_accepted(
    *, client: RegistryClient, repo: str, content: random.Random, cleanup: Cleanup, capabilities: Capabilities
) -> None:
    started = client.upload_start(repo)
    location = session_location(started, what="POST /blobs/uploads/")
    minimum = chunk_min_length(started)
    if minimum is None:
        client.upload_cancel(location)
        capabilities.record("chunk_min_length", False, "no OCI-Chunk-Min-Length on the POST answer",
                            evidence=started.describe(), source="test_uploads")
        unsupported("chunk_min_length: the registry advertises no minimum chunk size (any size allowed)")
    assert minimum is not None
    capabilities.record("chunk_min_length", True, f"OCI-Chunk-Min-Length: {minimum}", source="test_uploads")
    must(minimum <= 64 * 1024 * 1024, f"OCI-Chunk-Min-Length {minimum} is larger than this check will send")
    blob = random_blob(content, 2 * max(minimum, 1) + 7)
    cleanup.blob(repo, blob.digest)
    spans = chunk_spans(blob.size, 3, minimum)
    if any(length < minimum for _, length in spans[:-1]):
        raise HarnessError(f"chunk plan {spans} violates the minimum {minimum}")
    for start, length in spans:
        patched = client.upload_patch(location, blob.data[start : start + length],
                                      content_range=content_range(start, length))
        location = check_session_progress(patched, start + length,
                                          what=f"PATCH of {length} bytes (minimum {minimum})")
    check_blob_created(client, blob, client.upload_put(location, blob.digest), what="minimum-sized chunks")


@pytest.mark.spec("spec.md#layer-upload-de-duplication", "end-5", "end-6")
@pytest.mark.level("MUST")
def test_parallel_uploads_of_the_same_blob_both_complete(
    *, client: RegistryClient, registry_target: RegistryTarget, repo: str, content: random.Random,
    cleanup: Cleanup,
) -> None:
    blob = random_blob(content, CHUNKED_SIZE)
    cleanup.blob(repo, blob.digest)
    clients = [registry_target.new_client(), registry_target.new_client()]  # one per thread, made here
    barrier = threading.Barrier(len(clients), timeout=BARRIER_TIMEOUT)
    half = blob.size // 2

    def upload(worker: RegistryClient) -> tuple[int, int, int]:
        try:
            started = worker.upload_start(repo)
            # the first chunk honours an advertised minimum; at or above the blob's size it is all of it
            first = min(max(half, chunk_min_length(started) or 0), blob.size)
            barrier.wait()  # both sessions open before any bytes move
            patched = worker.upload_patch(started.location or "", blob.data[:first],
                                          content_range=content_range(0, first))
            barrier.wait()  # both first chunks stored before either closes
            rest = blob.data[first:]
            finished = worker.upload_put(patched.location or "", blob.digest, rest,
                                         content_range=content_range(first, len(rest)) if rest else None)
        except BaseException:
            barrier.abort()  # never leave the other thread waiting
            raise
        return started.status_code, patched.status_code, finished.status_code

    try:
        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            results = list(pool.map(upload, clients))
    finally:
        for worker in clients:
            worker.close()
    for index, (started, patched, finished) in enumerate(results):
        must((started, patched, finished) == (202, 202, 201),
             f"parallel upload {index + 1}: POST {started}, PATCH {patched}, PUT {finished}; "
             "expected 202, 202, 201 (both uploads proceed, the first to complete is stored)",
             ref="spec.md#layer-upload-de-duplication")
    check_blob_stored(client, repo, blob, what="after two parallel uploads")
