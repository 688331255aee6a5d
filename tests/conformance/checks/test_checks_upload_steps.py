"""Tests of `conformance.checks.upload_steps`: each helper passes a conforming answer and breaks the right
ledger rule, at the rule's level, for each way of breaking it (canned responses)."""

from __future__ import annotations

import pytest

from conformance.checks.upload_steps import (
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
    with_session_id,
)
from conformance.ledger.model import Level
from conformance.ledger.rules import general, uploads
from conformance.verdicts import HarnessError, MustViolation, ShouldViolation
from tests.conformance.checks.checks_doubles import REGISTRY, answer, verdicts


def test_a_2xx_step_is_judged_by_its_own_rule_and_a_refusal_by_the_category_claim() -> None:
    assert check_step(answer(202), 202, uploads.UPLOAD_POST_202, "POST")
    with pytest.raises(MustViolation, match="expected 202") as wrong:
        check_step(answer(200), 202, uploads.UPLOAD_POST_202, "POST")
    assert wrong.value.rule is uploads.UPLOAD_POST_202
    with pytest.raises(MustViolation, match="refused a valid request") as refused:
        check_step(answer(400, content=b"no"), 202, uploads.UPLOAD_POST_202, "POST")
    assert refused.value.rule is general.CATEGORY_CLAIM


def test_a_refusal_rule_of_advice_lets_the_check_go_on() -> None:
    with verdicts() as recorder:
        assert not check_step(answer(415), 202, uploads.PATCH_202, "PATCH",
                              refusal_rule=uploads.STREAMED_PATCH)
    assert [(finding.level, finding.rule) for finding in recorder.findings] == [
        (Level.ADVICE, uploads.STREAMED_PATCH)]


def test_session_location_is_resolved_against_the_request_and_kept_verbatim() -> None:
    response = answer(202, {"Location": "/v2/repo/blobs/uploads/xyz?_state=a%2Fb%3D%3D"}, method="POST")
    expected = f"{REGISTRY}/v2/repo/blobs/uploads/xyz?_state=a%2Fb%3D%3D"
    assert session_location(response, what="POST") == expected


def test_session_location_needs_the_status_and_a_location() -> None:
    with pytest.raises(MustViolation, match="expected 202"):
        session_location(answer(201, {"Location": "/x"}), what="POST")
    with pytest.raises(MustViolation, match="has no Location header") as missing:
        session_location(answer(202), what="POST")
    assert missing.value.rule is uploads.UPLOAD_POST_202


def test_session_location_refuses_a_rule_that_lets_the_check_go_on() -> None:
    with verdicts(), pytest.warns(ShouldViolation), pytest.raises(HarnessError, match="fallback_location"):
        session_location(answer(202), what="POST", rule=uploads.SINGLE_POST_FALLBACK_202)


def test_a_fallback_session_without_location_warns_and_gives_none() -> None:
    with verdicts() as recorder, pytest.warns(ShouldViolation, match="no Location"):
        assert fallback_location(answer(202), what="mount", rule=uploads.SINGLE_POST_FALLBACK_202) is None
    assert recorder.findings[0].rule is uploads.SINGLE_POST_FALLBACK_202
    with verdicts(), pytest.warns(ShouldViolation, match="refused"):
        assert fallback_location(answer(404), what="mount", rule=uploads.SINGLE_POST_FALLBACK_202) is None
    assert fallback_location(answer(202, {"Location": "/u"}), what="mount",
                             rule=uploads.SINGLE_POST_FALLBACK_202) == f"{REGISTRY}/u"


@pytest.mark.parametrize(
    ("value", "end"),
    [("0-99", 99), ("bytes=0-99", 99), (" 0-0 ", 0), ("1-99", None), ("0-", None), ("0-9a", None),
     (None, None)],
)
def test_parse_upload_range(value: str | None, end: int | None) -> None:
    assert parse_upload_range(value) == end


def test_session_progress_returns_the_next_location() -> None:
    response = answer(202, {"Location": "/v2/repo/blobs/uploads/abc?state=2", "Range": "0-1023"})
    expected = f"{REGISTRY}/v2/repo/blobs/uploads/abc?state=2"
    assert check_session_progress(response, 1024, what="PATCH") == expected


@pytest.mark.parametrize(
    ("status", "headers", "stored", "problem", "rule"),
    [
        (202, {"Location": "/u"}, 10, "has no Range header", uploads.PATCH_202),
        (202, {"Location": "/u", "Range": "bytes 0-9"}, 10, "is not of the form", uploads.PATCH_202),
        (202, {"Location": "/u", "Range": "0-8"}, 10, "expected 0-9", uploads.PATCH_202),
        (202, {"Range": "0-9"}, 10, "has no Location header", uploads.PATCH_202),
        (204, {"Location": "/u", "Range": "0-8"}, 10, "expected 0-9", uploads.UPLOAD_STATUS_204),
        (200, {"Location": "/u", "Range": "0-9"}, 10, "expected 204", uploads.UPLOAD_STATUS_204),
    ],
)
def test_session_progress_failures(
    status: int, headers: dict[str, str], stored: int, problem: str, rule: object
) -> None:
    expected = 202 if rule is uploads.PATCH_202 else 204
    with pytest.raises(MustViolation, match=problem) as failed:
        check_session_progress(answer(status, headers), stored, what="PATCH", status=expected)
    assert failed.value.rule is rule


def test_a_bytes_prefix_is_advice_and_fails_under_strict_readings() -> None:
    response = answer(202, {"Location": "/u", "Range": "bytes=0-9"})
    with verdicts() as recorder:
        check_session_progress(response, 10, what="PATCH")
    assert [(finding.level, finding.rule) for finding in recorder.findings] == [
        (Level.ADVICE, uploads.PATCH_RANGE_FORM)]
    assert uploads.PATCH_RANGE_FORM.level(uploads.PATCH_RANGE_FORM.since, strict_readings=True) is Level.FAIL


def test_an_empty_session_is_noted() -> None:
    with verdicts() as recorder:
        check_session_progress(answer(202, {"Location": "/u", "Range": "0-0"}), 0, what="POST")
    assert recorder.notes == [
        "POST: Range of an empty session is '0-0' (the spec cannot express an empty upload)"]


def test_an_older_location_failing_the_status_get_is_advice() -> None:
    with verdicts() as recorder:
        assert session_progress(answer(404, content=b"gone"), 10, what="GET", status=204,
                                rule=uploads.UPLOAD_STATUS_ANY_LOCATION,
                                refusal_rule=uploads.UPLOAD_STATUS_ANY_LOCATION) is None
    assert [(finding.level, finding.rule) for finding in recorder.findings] == [
        (Level.ADVICE, uploads.UPLOAD_STATUS_ANY_LOCATION)]


def test_with_session_id_replaces_only_the_id() -> None:
    location = f"{REGISTRY}/v2/a/b/blobs/uploads/1234?_state=xyz&n=1"
    assert with_session_id(location, "nope") == f"{REGISTRY}/v2/a/b/blobs/uploads/nope?_state=xyz&n=1"
    assert with_session_id(f"{REGISTRY}/v2/a/blobs/uploads/1234/", "x") == f"{REGISTRY}/v2/a/blobs/uploads/x"


def test_chunk_min_length_header() -> None:
    assert chunk_min_length(answer(202)) is None
    assert chunk_min_length(answer(202, {"OCI-Chunk-Min-Length": " 4096 "})) == 4096
    with verdicts() as recorder, pytest.warns(ShouldViolation, match="is not a size in bytes"):
        assert chunk_min_length(answer(202, {"OCI-Chunk-Min-Length": "4k"})) is None
    assert recorder.findings[0].rule is uploads.CHUNK_MIN_LENGTH_HEADER


@pytest.mark.parametrize(
    ("total", "count", "minimum", "spans"),
    [(0, 3, None, []), (10, 3, None, [(0, 4), (4, 4), (8, 2)]), (10, 3, 6, [(0, 6), (6, 4)]),
     (3, 5, None, [(0, 1), (1, 1), (2, 1)])],
)
def test_chunk_spans(total: int, count: int, minimum: int | None, spans: list[tuple[int, int]]) -> None:
    assert chunk_spans(total, count, minimum) == spans


@pytest.mark.parametrize(("total", "count", "minimum"), [(3067, 3, None), (1, 1, None), (100_000, 7, 5000)])
def test_chunk_spans_cover_every_byte_once_in_order(total: int, count: int, minimum: int | None) -> None:
    spans = chunk_spans(total, count, minimum)
    starts = [sum(length for _, length in spans[:i]) for i in range(len(spans))]
    assert [start for start, _ in spans] == starts
    assert sum(length for _, length in spans) == total
    assert all(length >= (minimum or 1) for _, length in spans[:-1])


def test_blob_size_for_chunks_and_content_range() -> None:
    assert blob_size_for_chunks(3, None) == 3 * 1024 - 5
    assert blob_size_for_chunks(2, 4096) == 2 * 4096 - 5
    assert len(chunk_spans(blob_size_for_chunks(3, None), 3, None)) == 3
    assert content_range(0, 1024) == "0-1023"
    assert content_range(1024, 1) == "1024-1024"
