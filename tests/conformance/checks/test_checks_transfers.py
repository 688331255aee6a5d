"""Tests of `conformance.checks.transfers`: every upload method against an in-memory registry whose older
Locations stop working (as distribution's signed `_state` does), single-POST fallback and refusal, the
optional sha512 push, and the names other areas import from it."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from conformance.capabilities import Capabilities
from conformance.checks import blob_checks, transfers, upload_steps
from conformance.checks.transfers import (
    UPLOAD_METHODS,
    Upload,
    error_codes,
    push_sha512_or_unsupported,
    single_post_refused,
    start_session,
    upload_by,
)
from conformance.cleanup import Cleanup
from conformance.client import RegistryClient
from conformance.content import Blob
from conformance.ledger.model import Level
from conformance.ledger.rules import uploads
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


def test_the_names_other_areas_import_are_still_here() -> None:
    for name in ("check_blob_created", "check_digest_header", "check_session_progress", "chunk_min_length",
                 "content_range", "session_location", "with_session_id", "error_codes"):
        assert callable(getattr(transfers, name)), name
    assert transfers.check_blob_created is blob_checks.check_blob_created
    assert transfers.session_location is upload_steps.session_location


def test_error_codes_of_an_envelope_and_of_a_plain_body() -> None:
    with verdicts():
        assert error_codes(answer(404, content=envelope("BLOB_UNKNOWN", "DENIED")), what="GET") == [
            "BLOB_UNKNOWN", "DENIED"]
        assert error_codes(answer(404, content=b"404 page not found\n"), what="GET") is None
    with verdicts(), pytest.raises(MustViolation, match="not an OCI error envelope"):
        error_codes(answer(400, content=b'{"errors": [{"message": "x"}]}'), what="PUT")


@pytest.mark.parametrize("method", UPLOAD_METHODS)
def test_every_upload_method_stores_the_blob_going_to_the_latest_location(method: str) -> None:
    registry = MemoryRegistry(stale_locations=True)
    data = bytes(range(256)) * 13
    with registry.client() as client, verdicts() as recorder:
        upload = upload_by(client, "repo", method, data, sha256(data))
    assert upload.final.status_code == 201 and not upload.single_post_fallback and not upload.stopped
    assert registry.blobs == {sha256(data): data}
    assert recorder.findings == []


def test_chunked_upload_sends_in_order_ranges_to_the_latest_location() -> None:
    registry = MemoryRegistry(stale_locations=True)
    data = b"x" * 3067
    with registry.client() as client, verdicts():
        upload = upload_by(client, "repo", "chunked-final-in-put", data, sha256(data))
    sent = [(request.method, request.headers.get("content-range"), request.url.params.get("state"))
            for request in registry.requests]
    assert sent == [("POST", None, None), ("PATCH", "0-1022", "0"), ("PATCH", "1023-2045", "1023"),
                    ("PUT", "2046-3066", "2046")]
    assert upload.close_rule is uploads.CHUNKED_CLOSE_201


def test_single_post_answered_202_falls_back_to_put() -> None:
    registry = MemoryRegistry(single_post=False)
    with registry.client() as client, verdicts():
        upload = upload_by(client, "repo", "single-post", DATA, DIGEST)
    assert upload.single_post_fallback and upload.final.status_code == 201
    assert upload.close_rule is uploads.UPLOAD_PUT_201
    assert [request.method for request in registry.requests] == ["POST", "PUT"]


def refusing(status: int) -> RegistryClient:
    return RegistryClient(REGISTRY, transport=httpx.MockTransport(lambda request: httpx.Response(status)))


def test_a_single_post_answered_neither_201_nor_202_breaks_the_fallback_should() -> None:
    capabilities = Capabilities()
    with refusing(405) as client, verdicts() as recorder, pytest.warns(ShouldViolation, match="expected 201"):
        upload = upload_by(client, "repo", "single-post", DATA, DIGEST)
        assert single_post_refused(upload, capabilities, source="test")
    assert recorder.findings[0].rule is uploads.SINGLE_POST_FALLBACK_202
    assert capabilities.supported("single_post") is False


def test_a_202_single_post_without_location_stops_the_upload_with_a_warning() -> None:
    with refusing(202) as client, verdicts(), pytest.warns(ShouldViolation, match="no Location"):
        upload = upload_by(client, "repo", "single-post", DATA, DIGEST)
    assert upload.stopped and upload.single_post_fallback
    assert single_post_refused(upload, Capabilities(), source="test")


def test_a_refused_stream_is_advice_and_stops_the_upload() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(202, headers={"Location": "/v2/repo/blobs/uploads/s"})
        return httpx.Response(400, content=envelope("BLOB_UPLOAD_INVALID"))

    with RegistryClient(REGISTRY, transport=httpx.MockTransport(handle)) as client, verdicts() as recorder:
        upload = upload_by(client, "repo", "stream", DATA, DIGEST)
    assert upload.stopped and upload.final.status_code == 400
    assert [(finding.level, finding.rule) for finding in recorder.findings] == [
        (Level.ADVICE, uploads.STREAMED_PATCH)]


def test_a_refused_chunk_fails_on_the_category_claim() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(202, headers={"Location": "/v2/repo/blobs/uploads/s"})
        return httpx.Response(400)

    with RegistryClient(REGISTRY, transport=httpx.MockTransport(handle)) as client, \
            pytest.raises(MustViolation, match="refused a valid request") as failed:
        upload_by(client, "repo", "chunked", DATA, DIGEST)
    assert failed.value.rule is not None and failed.value.rule.id == "category-claim"


def test_upload_with_a_lying_digest_returns_the_refusal_for_the_caller() -> None:
    with MemoryRegistry().client() as client, verdicts():
        upload = upload_by(client, "repo", "post-put", DATA, sha256(b"something else"))
    assert upload.final.status_code == 400 and isinstance(upload, Upload)


def test_unknown_upload_method_is_a_harness_error() -> None:
    with MemoryRegistry().client() as client, pytest.raises(HarnessError, match="unknown upload method"):
        upload_by(client, "repo", "carrier-pigeon", DATA, DIGEST)


def test_start_session_opens_one() -> None:
    with MemoryRegistry().client() as client:
        assert start_session(client, "repo").startswith(f"{REGISTRY}/v2/repo/blobs/uploads/s")


def test_sha512_push_records_support_and_registers_cleanup() -> None:
    registry, capabilities = MemoryRegistry(), Capabilities()
    cleanup = Cleanup("ns", None)
    blob = blob_of(DATA, "sha512")
    with registry.client() as client, verdicts():
        assert push_sha512_or_unsupported(client, "ns/repo", blob, capabilities, cleanup)
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


def test_sha512_refused_otherwise_is_the_digest_invalid_should_and_returns_false() -> None:
    capabilities = Capabilities()
    with refusing(500) as client, verdicts() as recorder:
        assert not push_sha512_or_unsupported(client, "ns/repo", blob_of(DATA, "sha512"), capabilities,
                                              Cleanup("ns", None))
    assert [(finding.level, finding.rule) for finding in recorder.findings] == [
        (Level.ADVICE, uploads.DIGEST_INVALID_400)]  # a main-branch SHOULD: advice in a 1.1 run
    assert capabilities.supported("sha512") is False
