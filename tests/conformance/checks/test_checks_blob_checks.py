"""Tests of `conformance.checks.blob_checks`: digest headers, created, stored and falsely stored blobs and
refusals (canned responses, and an in-memory registry behind httpx.MockTransport)."""

from __future__ import annotations

import hashlib

import pytest

from conformance.checks.blob_checks import (
    check_blob_created,
    check_blob_stored,
    check_digest_header,
    check_no_false_blob,
    check_refusal,
    same_connection_still_usable,
)
from conformance.content import Blob
from conformance.ledger.model import Level
from conformance.ledger.rules import general, pull, uploads
from conformance.verdicts import MustViolation, ShouldViolation
from tests.conformance.checks.checks_doubles import MemoryRegistry, answer, envelope, sha256, verdicts

DATA = b"hello registry"
DIGEST = sha256(DATA)


def blob_of(data: bytes, algorithm: str = "sha256") -> Blob:
    return Blob(data, f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}")


# digest headers ------------------------------------------------------------------------------------
def test_digest_header_equal_to_the_computed_digest_passes() -> None:
    with verdicts() as recorder:
        check_digest_header(answer(200, {"Docker-Content-Digest": DIGEST}), DATA, DIGEST, required=True,
                            what="GET")
    assert recorder.notes == [] and recorder.findings == []


def test_a_missing_digest_header_breaks_the_presence_rule_or_is_noted_when_switched_off() -> None:
    with verdicts() as recorder, pytest.warns(ShouldViolation, match="no Docker-Content-Digest"):
        check_digest_header(answer(200), DATA, DIGEST, required=True, what="GET")  # SHOULD in v1.1.1
    assert recorder.findings[0].rule is pull.BLOB_DIGEST_HEADER
    with verdicts() as recorder:
        check_digest_header(answer(200), DATA, DIGEST, required=False, what="GET")
    assert recorder.notes == ["GET: no Docker-Content-Digest header (requirement switched off)"]


def test_a_digest_header_naming_other_content_fails_on_the_value_rule() -> None:
    with pytest.raises(MustViolation, match="!=") as failed:
        check_digest_header(answer(200, {"Docker-Content-Digest": sha256(b"other")}), DATA, DIGEST,
                            required=True, what="GET")
    assert failed.value.rule is pull.BLOB_DIGEST_HEADER_MATCHES_BODY


def test_a_digest_header_in_another_algorithm_is_recomputed() -> None:
    sha512 = "sha512:" + hashlib.sha512(DATA).hexdigest()
    with verdicts() as recorder:
        check_digest_header(answer(200, {"Docker-Content-Digest": sha512}), DATA, DIGEST, required=True,
                            what="GET")
    assert recorder.notes == ["GET: Docker-Content-Digest uses sha512 where sha256 was requested (allowed: "
                              "the header MAY differ in algorithm)"]
    wrong = "sha512:" + hashlib.sha512(b"other").hexdigest()
    with pytest.raises(MustViolation, match="does not match the content"):
        check_digest_header(answer(200, {"Docker-Content-Digest": wrong}), DATA, DIGEST, required=True,
                            what="GET")


def test_a_digest_header_in_an_algorithm_the_harness_cannot_compute_is_noted() -> None:
    with verdicts() as recorder:
        check_digest_header(answer(200, {"Docker-Content-Digest": "blake3:" + "a" * 64}), DATA, DIGEST,
                            required=True, what="GET")
    assert "cannot compute; not verified" in recorder.notes[0]


# created and stored blobs --------------------------------------------------------------------------
def test_blob_created_pulls_the_location_and_compares_bytes() -> None:
    registry = MemoryRegistry()
    blob = blob_of(DATA)
    with registry.client() as client, verdicts() as recorder:
        check_blob_created(client, blob, client.upload_monolithic("repo", DATA, blob.digest), what="POST",
                           rule=uploads.SINGLE_POST_201)
        check_blob_stored(client, "repo", blob, what="POST")
    assert [request.method for request in registry.requests] == ["POST", "GET", "GET"]
    assert recorder.findings == []
    assert {uploads.SINGLE_POST_201.id, pull.BLOB_GET_200.id} <= recorder.evaluated


def test_blob_created_fails_when_the_location_serves_other_bytes() -> None:
    blob = blob_of(DATA)
    with MemoryRegistry(corrupt_blobs=True).client() as client:
        created = client.upload_monolithic("repo", DATA, blob.digest)
        with pytest.raises(MustViolation, match="expected 200 with the 14 bytes uploaded") as at_location:
            check_blob_created(client, blob, created, what="POST", rule=uploads.SINGLE_POST_201)
        assert at_location.value.rule is uploads.SINGLE_POST_201
        with pytest.raises(MustViolation, match="expected 200 with the 14 bytes") as by_digest:
            check_blob_stored(client, "repo", blob, what="POST")
        assert by_digest.value.rule is pull.BLOB_GET_200


def test_blob_created_needs_201_and_a_location_that_pulls() -> None:
    blob = blob_of(DATA)
    with MemoryRegistry().client() as client:
        with pytest.raises(MustViolation, match="expected 201") as wrong:
            check_blob_created(client, blob, answer(202, {"Location": "/x"}), what="PUT")
        assert wrong.value.rule is uploads.UPLOAD_PUT_201
        with pytest.raises(MustViolation, match="refused a valid request") as refused:
            check_blob_created(client, blob, answer(400), what="PUT")
        assert refused.value.rule is general.CATEGORY_CLAIM
        with pytest.raises(MustViolation, match="has no Location header"):
            check_blob_created(client, blob, answer(201), what="PUT")
        with pytest.raises(MustViolation, match="Location answered 404"):
            check_blob_created(client, blob, answer(201, {"Location": f"/v2/repo/blobs/{blob.digest}"}),
                               what="PUT")


def test_the_method_s_201_rule_judges_a_wrong_status() -> None:
    with MemoryRegistry().client() as client, pytest.raises(MustViolation) as failed:
        check_blob_created(client, blob_of(DATA), answer(204), what="PUT", rule=uploads.CHUNKED_CLOSE_201)
    assert failed.value.rule is uploads.CHUNKED_CLOSE_201
    with MemoryRegistry().client() as client, pytest.raises(MustViolation) as failed:
        check_blob_created(client, blob_of(DATA), answer(204), what="PUT")
    assert failed.value.rule is uploads.UPLOAD_PUT_201


def test_a_wrong_digest_header_on_the_201_is_advice() -> None:
    registry = MemoryRegistry()
    blob = blob_of(DATA)
    with registry.client() as client, verdicts() as recorder:
        registry.blobs[blob.digest] = DATA
        headers = {"Location": f"/v2/repo/blobs/{blob.digest}", "Docker-Content-Digest": sha256(b"x")}
        created = answer(201, headers)
        check_blob_created(client, blob, created, what="PUT")
    assert [(finding.level, finding.rule) for finding in recorder.findings] == [
        (Level.ADVICE, uploads.UPLOAD_CREATED_DIGEST_HEADER)]


def test_no_false_blob_passes_a_refusal_and_a_404() -> None:
    with MemoryRegistry().client() as client, verdicts() as recorder:
        check_no_false_blob(client, "repo", DIGEST, answer(400), what="PUT", rule=uploads.UPLOAD_PUT_201)
    assert recorder.findings == [] and pull.BLOB_NOT_FOUND_404.id in recorder.evaluated


def test_no_false_blob_fails_a_201_whose_location_serves_other_bytes() -> None:
    registry = MemoryRegistry()
    registry.blobs[DIGEST] = b"tampered"
    with registry.client() as client:
        created = answer(201, {"Location": f"/v2/repo/blobs/{DIGEST}"}, method="PUT")
        with pytest.raises(MustViolation, match="does not hash to") as failed:
            check_no_false_blob(client, "repo", DIGEST, created, what="PUT", rule=uploads.UPLOAD_PUT_201)
    assert failed.value.rule is uploads.UPLOAD_PUT_201


def test_no_false_blob_fails_a_digest_served_with_other_bytes() -> None:
    registry = MemoryRegistry()
    registry.blobs[DIGEST] = b"tampered"
    with registry.client() as client, pytest.raises(MustViolation, match="do not hash to it") as failed:
        check_no_false_blob(client, "repo", DIGEST, answer(400), what="PUT", rule=uploads.UPLOAD_PUT_201)
    assert failed.value.rule is pull.BLOB_GET_200


# refusals ------------------------------------------------------------------------------------------
def test_refusal_codes_are_advice_and_a_server_error_breaks_http_semantics() -> None:
    with verdicts() as recorder:
        assert check_refusal(answer(404, content=envelope("BLOB_UPLOAD_INVALID")), what="GET",
                             codes={"BLOB_UPLOAD_UNKNOWN"}, code_rule=uploads.UPLOAD_UNKNOWN_CODE) == [
            "BLOB_UPLOAD_INVALID"]
        check_refusal(answer(500, content=b"oops"), what="PATCH")
    assert [(finding.level, finding.rule) for finding in recorder.findings] == [
        (Level.ADVICE, uploads.UPLOAD_UNKNOWN_CODE), (Level.ADVICE, general.SERVER_ERROR_FOR_CLIENT_ERROR)]


def test_a_json_refusal_that_is_no_envelope_fails() -> None:
    with verdicts(), pytest.raises(MustViolation, match="not an OCI error envelope"):
        check_refusal(answer(400, content=b'{"errors": "nope"}'), what="PUT")


def test_same_connection_still_usable_pings() -> None:
    registry = MemoryRegistry()
    with registry.client() as client:
        same_connection_still_usable(client, what="HEAD")
    assert [request.url.path for request in registry.requests] == ["/v2/"]
