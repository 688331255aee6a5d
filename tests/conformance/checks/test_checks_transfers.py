"""Tests of `conformance.checks.transfers`: each helper passes a conforming answer and fails, warns or notes
each way of breaking its rule (canned responses, and an in-memory registry behind httpx.MockTransport)."""

from __future__ import annotations

import hashlib

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.transfers import (
    UPLOAD_METHODS,
    blob_size_for_chunks,
    check_blob_created,
    check_blob_stored,
    check_digest_header,
    check_error,
    check_session_progress,
    chunk_min_length,
    chunk_spans,
    content_range,
    error_codes,
    parse_upload_range,
    push_sha512_or_unsupported,
    same_connection_still_usable,
    session_location,
    start_session,
    upload_by,
    with_session_id,
)
from conformance.cleanup import Cleanup
from conformance.content import Blob
from conformance.verdicts import HarnessError, MustViolation, ShouldViolation
from tests.conformance.checks.checks_doubles import (
    REGISTRY,
    MemoryRegistry,
    answer,
    envelope,
    sha256,
    verdicts,
)

DATA = b"hello registry"
DIGEST = sha256(DATA)
UNSUPPORTED = pytest.skip.Exception


def blob_of(data: bytes, algorithm: str = "sha256") -> Blob:
    return Blob(data, f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}")


# errors --------------------------------------------------------------------------------------------
def test_error_codes_of_an_envelope_and_of_a_plain_body() -> None:
    assert error_codes(answer(404, content=envelope("BLOB_UNKNOWN", "DENIED")), what="GET") == [
        "BLOB_UNKNOWN",
        "DENIED",
    ]
    assert error_codes(answer(404, content=b"404 page not found\n"), what="GET") is None
    assert error_codes(answer(404), what="GET") is None


@pytest.mark.parametrize(
    "body", [b'{"errors": "nope"}', b'{"message": "x"}', b'{"errors": [{"message": "x"}]}']
)
def test_a_json_error_body_that_is_no_envelope_fails(body: bytes) -> None:
    with pytest.raises(MustViolation, match="not an OCI error envelope"):
        error_codes(answer(400, content=body), what="PUT")


def test_check_error_accepts_an_allowed_status_and_code() -> None:
    response = answer(404, content=envelope("BLOB_UNKNOWN"))
    assert check_error(response, {400, 404}, {"BLOB_UNKNOWN"}, what="GET", ref="end-2") == ["BLOB_UNKNOWN"]


def test_check_error_fails_a_status_outside_the_allowed_set() -> None:
    with pytest.raises(MustViolation, match="expected 400 or 404"):
        check_error(answer(500, content=envelope("UNKNOWN")), {400, 404}, what="GET", ref="end-2")


def test_check_error_fails_a_wrong_code_where_the_spec_says_must() -> None:
    with pytest.raises(MustViolation, match=r"error codes \['NAME_UNKNOWN'\]"):
        check_error(
            answer(404, content=envelope("NAME_UNKNOWN")), {404}, {"BLOB_UNKNOWN"}, what="GET", ref="r"
        )


def test_check_error_warns_a_wrong_code_at_should_level_and_goes_on() -> None:
    with verdicts() as recorder, pytest.warns(ShouldViolation, match="expected one of"):
        codes = check_error(
            answer(404, content=envelope("BLOB_UPLOAD_INVALID")),
            {404},
            {"BLOB_UPLOAD_UNKNOWN"},
            what="GET",
            ref="code-3",
            code_level="should",
        )
    assert codes == ["BLOB_UPLOAD_INVALID"]
    assert recorder.should_violations == [
        "GET: error codes ['BLOB_UPLOAD_INVALID'], expected one of ['BLOB_UPLOAD_UNKNOWN'] [code-3]"
    ]


def test_check_error_notes_a_plain_text_body_and_checks_no_code() -> None:
    with verdicts() as recorder:
        assert (
            check_error(answer(404, content=b"not found"), {404}, {"NAME_INVALID"}, what="GET", ref="r")
            is None
        )
    assert recorder.notes == ["GET: error body is not JSON (b'not found'); allowed by the spec"]


# digests -------------------------------------------------------------------------------------------
def test_digest_header_equal_to_the_computed_digest_passes() -> None:
    with verdicts() as recorder:
        check_digest_header(
            answer(200, {"Docker-Content-Digest": DIGEST}), DATA, DIGEST, required=True, what="GET", ref="r"
        )
    assert recorder.notes == []


def test_digest_header_missing_fails_when_required_and_is_noted_when_switched_off() -> None:
    with pytest.raises(MustViolation, match="no Docker-Content-Digest"):
        check_digest_header(answer(200), DATA, DIGEST, required=True, what="GET", ref="r")
    with verdicts() as recorder:
        check_digest_header(answer(200), DATA, DIGEST, required=False, what="GET", ref="r")
    assert recorder.notes == ["GET: no Docker-Content-Digest header (requirement switched off)"]


def test_digest_header_naming_other_content_fails() -> None:
    with pytest.raises(MustViolation, match="!="):
        check_digest_header(
            answer(200, {"Docker-Content-Digest": sha256(b"other")}),
            DATA,
            DIGEST,
            required=True,
            what="GET",
            ref="r",
        )


def test_digest_header_in_another_algorithm_is_recomputed() -> None:
    sha512 = "sha512:" + hashlib.sha512(DATA).hexdigest()
    with verdicts() as recorder:
        check_digest_header(
            answer(200, {"Docker-Content-Digest": sha512}), DATA, DIGEST, required=True, what="GET", ref="r"
        )
    assert recorder.notes == [
        "GET: Docker-Content-Digest uses sha512 where sha256 was requested (allowed: "
        "the header MAY differ in algorithm)"
    ]
    wrong = "sha512:" + hashlib.sha512(b"other").hexdigest()
    with pytest.raises(MustViolation, match="does not match the content"):
        check_digest_header(
            answer(200, {"Docker-Content-Digest": wrong}), DATA, DIGEST, required=True, what="GET", ref="r"
        )


def test_digest_header_in_an_algorithm_the_harness_cannot_compute_is_noted() -> None:
    with verdicts() as recorder:
        check_digest_header(
            answer(200, {"Docker-Content-Digest": "blake3:" + "a" * 64}),
            DATA,
            DIGEST,
            required=True,
            what="GET",
            ref="r",
        )
    assert "cannot compute; not verified" in recorder.notes[0]


# sessions ------------------------------------------------------------------------------------------
def test_session_location_is_resolved_against_the_request() -> None:
    response = answer(202, {"Location": "/v2/repo/blobs/uploads/xyz?_state=a%2Fb"}, method="POST")
    assert session_location(response, what="POST") == f"{REGISTRY}/v2/repo/blobs/uploads/xyz?_state=a%2Fb"


def test_session_location_needs_the_status_and_a_location() -> None:
    with pytest.raises(MustViolation, match="expected 202"):
        session_location(answer(201, {"Location": "/x"}), what="POST")
    with pytest.raises(MustViolation, match="has no Location header"):
        session_location(answer(202), what="POST")


@pytest.mark.parametrize(
    ("value", "end"),
    [
        ("0-99", 99),
        ("bytes=0-99", 99),
        (" 0-0 ", 0),
        ("1-99", None),
        ("0-", None),
        ("0-9a", None),
        (None, None),
    ],
)
def test_parse_upload_range(value: str | None, end: int | None) -> None:
    assert parse_upload_range(value) == end


def test_session_progress_returns_the_next_location() -> None:
    response = answer(202, {"Location": "/v2/repo/blobs/uploads/abc?state=2", "Range": "0-1023"})
    assert (
        check_session_progress(response, 1024, what="PATCH")
        == f"{REGISTRY}/v2/repo/blobs/uploads/abc?state=2"
    )


@pytest.mark.parametrize(
    ("headers", "stored", "problem"),
    [
        ({"Location": "/u"}, 10, "has no Range header"),
        ({"Location": "/u", "Range": "bytes 0-9"}, 10, "is not of the form"),
        ({"Location": "/u", "Range": "0-8"}, 10, "expected 0-9"),
        ({"Range": "0-9"}, 10, "has no Location header"),
    ],
)
def test_session_progress_failures(headers: dict[str, str], stored: int, problem: str) -> None:
    with pytest.raises(MustViolation, match=problem):
        check_session_progress(answer(202, headers), stored, what="PATCH")


def test_session_progress_warns_a_bytes_prefix_and_notes_an_empty_session() -> None:
    with verdicts() as recorder, pytest.warns(ShouldViolation, match="'bytes=' prefix"):
        check_session_progress(answer(202, {"Location": "/u", "Range": "bytes=0-9"}), 10, what="PATCH")
    with verdicts() as recorder:
        check_session_progress(answer(202, {"Location": "/u", "Range": "0-0"}), 0, what="POST")
    assert recorder.notes == [
        "POST: Range of an empty session is '0-0' (the spec cannot express an empty upload)"
    ]


def test_with_session_id_replaces_only_the_id() -> None:
    location = f"{REGISTRY}/v2/a/b/blobs/uploads/1234?_state=xyz&n=1"
    assert with_session_id(location, "nope") == f"{REGISTRY}/v2/a/b/blobs/uploads/nope?_state=xyz&n=1"
    assert with_session_id(f"{REGISTRY}/v2/a/blobs/uploads/1234/", "x") == f"{REGISTRY}/v2/a/blobs/uploads/x"


# chunking ------------------------------------------------------------------------------------------
def test_chunk_min_length_header() -> None:
    assert chunk_min_length(answer(202)) is None
    assert chunk_min_length(answer(202, {"OCI-Chunk-Min-Length": " 4096 "})) == 4096
    with verdicts(), pytest.warns(ShouldViolation, match="is not a size in bytes"):
        assert chunk_min_length(answer(202, {"OCI-Chunk-Min-Length": "4k"})) is None


@pytest.mark.parametrize(
    ("total", "count", "minimum", "spans"),
    [
        (0, 3, None, []),
        (10, 3, None, [(0, 4), (4, 4), (8, 2)]),
        (10, 3, 6, [(0, 6), (6, 4)]),
        (3, 5, None, [(0, 1), (1, 1), (2, 1)]),
    ],
)
def test_chunk_spans(total: int, count: int, minimum: int | None, spans: list[tuple[int, int]]) -> None:
    assert chunk_spans(total, count, minimum) == spans


@pytest.mark.parametrize(("total", "count", "minimum"), [(3067, 3, None), (1, 1, None), (100_000, 7, 5000)])
def test_chunk_spans_cover_every_byte_once_in_order(total: int, count: int, minimum: int | None) -> None:
    spans = chunk_spans(total, count, minimum)
    assert [start for start, _ in spans] == [
        sum(length for _, length in spans[:i]) for i in range(len(spans))
    ]
    assert sum(length for _, length in spans) == total
    assert all(length >= (minimum or 1) for _, length in spans[:-1])


def test_blob_size_for_chunks_and_content_range() -> None:
    assert blob_size_for_chunks(3, None) == 3 * 1024 - 5
    assert blob_size_for_chunks(2, 4096) == 2 * 4096 - 5
    assert len(chunk_spans(blob_size_for_chunks(3, None), 3, None)) == 3
    assert content_range(0, 1024) == "0-1023"
    assert content_range(1024, 1) == "1024-1024"


# created and stored blobs --------------------------------------------------------------------------
def test_blob_created_pulls_the_location_and_compares_bytes() -> None:
    registry = MemoryRegistry()
    blob = blob_of(DATA)
    with registry.client() as client:
        check_blob_created(client, blob, client.upload_monolithic("repo", DATA, blob.digest), what="POST")
        check_blob_stored(client, "repo", blob, what="POST")
    assert [request.method for request in registry.requests] == ["POST", "GET", "GET"]


def test_blob_created_fails_when_the_location_serves_other_bytes() -> None:
    registry = MemoryRegistry(corrupt_blobs=True)
    blob = blob_of(DATA)
    with registry.client() as client:
        created = client.upload_monolithic("repo", DATA, blob.digest)
        with pytest.raises(MustViolation, match="differ from the 14 uploaded"):
            check_blob_created(client, blob, created, what="POST")
        with pytest.raises(MustViolation, match="differ from the 14 uploaded"):
            check_blob_stored(client, "repo", blob, what="POST")


def test_blob_created_needs_201_and_a_location() -> None:
    blob = blob_of(DATA)
    with MemoryRegistry().client() as client:
        with pytest.raises(MustViolation, match="expected 201"):
            check_blob_created(client, blob, answer(202, {"Location": "/x"}), what="PUT")
        with pytest.raises(MustViolation, match="has no Location header"):
            check_blob_created(client, blob, answer(201), what="PUT")
        with pytest.raises(MustViolation, match="GET of the returned Location answered 404"):
            check_blob_created(
                client, blob, answer(201, {"Location": f"/v2/repo/blobs/{blob.digest}"}), what="PUT"
            )


def test_same_connection_still_usable_pings() -> None:
    registry = MemoryRegistry()
    with registry.client() as client:
        same_connection_still_usable(client, what="HEAD")
    assert [request.url.path for request in registry.requests] == ["/v2/"]


# upload methods ------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", UPLOAD_METHODS)
def test_every_upload_method_stores_the_blob(method: str) -> None:
    registry = MemoryRegistry(stale_locations=True)
    data = bytes(range(256)) * 13
    with registry.client() as client:
        upload = upload_by(client, "repo", method, data, sha256(data))
    assert upload.final.status_code == 201 and not upload.single_post_fallback
    assert registry.blobs == {sha256(data): data}


def test_chunked_upload_sends_in_order_ranges_to_the_latest_location() -> None:
    registry = MemoryRegistry(stale_locations=True)
    data = b"x" * 3067
    with registry.client() as client:
        upload_by(client, "repo", "chunked-final-in-put", data, sha256(data))
    sent = [
        (request.method, request.headers.get("content-range"), request.url.params.get("state"))
        for request in registry.requests
    ]
    assert sent == [
        ("POST", None, None),
        ("PATCH", "0-1022", "0"),
        ("PATCH", "1023-2045", "1023"),
        ("PUT", "2046-3066", "2046"),
    ]


def test_single_post_answered_202_falls_back_to_put() -> None:
    registry = MemoryRegistry(single_post=False)
    with registry.client() as client:
        upload = upload_by(client, "repo", "single-post", DATA, DIGEST)
    assert upload.single_post_fallback and upload.final.status_code == 201
    assert [request.method for request in registry.requests] == ["POST", "PUT"]


def test_upload_with_a_lying_digest_returns_the_refusal_for_the_caller() -> None:
    with MemoryRegistry().client() as client:
        upload = upload_by(client, "repo", "post-put", DATA, sha256(b"something else"))
    assert upload.final.status_code == 400


def test_unknown_upload_method_is_a_harness_error() -> None:
    with MemoryRegistry().client() as client, pytest.raises(HarnessError, match="unknown upload method"):
        upload_by(client, "repo", "carrier-pigeon", DATA, DIGEST)


def test_start_session_opens_one() -> None:
    with MemoryRegistry().client() as client:
        assert start_session(client, "repo").startswith(f"{REGISTRY}/v2/repo/blobs/uploads/s")


# sha512 --------------------------------------------------------------------------------------------
def test_sha512_push_records_support_and_registers_cleanup() -> None:
    registry, capabilities = MemoryRegistry(), Capabilities()
    cleanup = Cleanup("ns", None)
    blob = blob_of(DATA, "sha512")
    with registry.client() as client:
        push_sha512_or_unsupported(client, "ns/repo", blob, capabilities, cleanup)
    assert capabilities.supported("sha512") is True
    assert cleanup.blobs == [("ns/repo", blob.digest)]
    assert registry.blobs == {blob.digest: DATA}


def test_sha512_refused_with_400_is_unsupported_and_remembered() -> None:
    capabilities = Capabilities()
    blob = blob_of(DATA, "sha512")
    with MemoryRegistry(refuse_sha512=True).client() as client:
        with pytest.raises(UNSUPPORTED, match="unsupported: sha512"):
            push_sha512_or_unsupported(client, "ns/repo", blob, capabilities, Cleanup("ns", None))
        assert capabilities.supported("sha512") is False
        with pytest.raises(UNSUPPORTED, match="unsupported: sha512"):
            push_sha512_or_unsupported(client, "ns/repo", blob, capabilities, Cleanup("ns", None))
