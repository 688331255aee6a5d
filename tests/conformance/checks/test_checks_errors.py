"""Tests of `conformance.checks.errors` on canned answers: the envelope of JSON 4xx bodies (and only of 4xx
bodies), the verdict on a refusal's status and code at the level its rule gives, the Allow header of 405."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from conformance.checks.errors import check_allow_header, check_refusal, envelope_codes, started_upload
from conformance.ledger.model import SpecVersion
from conformance.ledger.rules import errors, general, pull
from conformance.verdicts import (
    MustViolation,
    RuleFinding,
    ShouldViolation,
    VerdictSettings,
    configure,
    settings,
)
from tests.conformance.checks.checks_doubles import MemoryRegistry, answer, envelope, verdicts


@pytest.fixture
def main_branch() -> Iterator[None]:
    """Judge by the spec's main-branch text (where RFC 9110 binds through a SHOULD)."""
    previous = settings()
    configure(VerdictSettings(spec_version=SpecVersion.MAIN))
    yield
    configure(previous)


def levels(findings: list[RuleFinding]) -> list[tuple[str, str]]:
    return [(finding.level.value, finding.rule.id) for finding in findings]


def test_an_envelope_gives_its_codes_and_a_legacy_code_is_from_the_table() -> None:
    with verdicts() as recorder:
        assert envelope_codes(answer(400, content=envelope("NAME_INVALID", "TAG_INVALID")), "PUT") == [
            "NAME_INVALID", "TAG_INVALID"]
    assert recorder.findings == []
    assert {"error-envelope", "error-code-shape", "error-code-table", "error-message"} <= recorder.evaluated


def test_a_body_in_another_format_is_allowed() -> None:
    with verdicts() as recorder:
        plain = answer(404, {"Content-Type": "text/plain"}, b"404 page not found\n")
        assert envelope_codes(plain, "GET") is None
        assert envelope_codes(answer(404), "HEAD") is None
    assert recorder.findings == [] and any("non-JSON error body" in text for text in recorder.notes)


@pytest.mark.parametrize("body", [b'{"error": "nope"}', b'{"errors": []}', b'{"errors": [{"message": "x"}]}',
                                  b"[1, 2]"])
def test_a_json_4xx_body_that_is_no_envelope_fails(body: bytes) -> None:
    with pytest.raises(MustViolation, match="not an OCI error envelope"):
        envelope_codes(answer(400, content=body), "PUT")


def test_json_that_does_not_parse_is_a_body_in_another_format() -> None:
    with verdicts() as recorder:
        assert envelope_codes(answer(400, {"Content-Type": "application/json"}, b"{oops"), "PUT") is None
        assert envelope_codes(answer(400, {"Content-Type": "text/html"}, b"<h1>no</h1>"), "PUT") is None
    assert recorder.findings == []
    assert "non-JSON error body (announced as JSON)" in recorder.notes[0]


def test_the_json_body_of_another_status_is_not_bound() -> None:
    with verdicts() as recorder:
        assert envelope_codes(answer(500, content=b'{"error": "boom"}'), "PUT") is None
        assert envelope_codes(answer(500, content=envelope("UNKNOWN")), "PUT") == ["UNKNOWN"]
    assert recorder.findings == []


def test_codes_must_have_their_shape_and_come_from_the_table() -> None:
    with pytest.raises(MustViolation, match=r"\['name_invalid'\] are not upper-case"):
        envelope_codes(answer(400, content=envelope("name_invalid")), "PUT")
    with pytest.raises(MustViolation, match=r"\['UNKNOWN'\] are not in the spec's table"):
        envelope_codes(answer(404, content=envelope("UNKNOWN")), "GET")


def test_a_message_that_is_not_a_string_warns() -> None:
    body = json.dumps({"errors": [{"code": "DENIED", "message": 7}]}).encode()
    with verdicts() as recorder, pytest.warns(ShouldViolation, match=r"error messages \[7\] are not strings"):
        assert envelope_codes(answer(403, content=body), "GET") == ["DENIED"]
    assert levels(recorder.findings) == [("warn", "error-message")]


def test_a_server_error_is_judged_by_its_rule_alone() -> None:
    with verdicts() as recorder:
        found = check_refusal(answer(500, content=b"{}"), (404,), "GET", status_rule=pull.BLOB_NOT_FOUND_404)
    assert found is None
    assert levels(recorder.findings) == [("advice", "server-error-for-client-error")]
    with pytest.raises(MustViolation, match="a server error"):
        check_refusal(answer(503), (404,), "GET", status_rule=pull.BLOB_NOT_FOUND_404,
                      server_error_rule=pull.BLOB_NOT_FOUND_404)


def test_the_status_and_the_code_are_judged_at_their_rules_levels() -> None:
    with pytest.raises(MustViolation, match=r"expected 404"):
        check_refusal(answer(400, content=envelope("BLOB_UNKNOWN")), (404,), "GET",
                      status_rule=pull.BLOB_NOT_FOUND_404)
    with verdicts() as recorder:
        found = check_refusal(answer(404, content=envelope("NAME_UNKNOWN")), (404,), "GET",
                              status_rule=pull.BLOB_NOT_FOUND_404, codes=("BLOB_UNKNOWN",),
                              code_rule=pull.BLOB_MISSING_CODE)
        check_refusal(answer(202), tuple(range(400, 500)), "POST", status_rule=errors.INVALID_NAME_CODE)
    assert found == ["NAME_UNKNOWN"]
    assert levels(recorder.findings) == [("advice", "blob-missing-code"), ("advice", "invalid-name-code")]
    assert "expected a 4xx" in recorder.findings[1].message


def test_a_405_without_allow_departs_from_http_semantics(main_branch: None) -> None:
    with verdicts() as recorder, pytest.warns(ShouldViolation, match="has no Allow header"):
        check_allow_header(answer(405, method="PATCH"), "PATCH tags/list")
        check_allow_header(answer(405, {"Allow": "GET"}, method="PATCH"), "PATCH tags/list")
        check_allow_header(answer(404, method="PATCH"), "PATCH tags/list")
    assert levels(recorder.findings) == [("warn", general.METHOD_NOT_ALLOWED_ALLOW.id)]


def test_started_upload_gives_the_session_location() -> None:
    registry = MemoryRegistry()
    with verdicts():
        location = started_upload(registry.client(), "repo")
    assert "/v2/repo/blobs/uploads/" in location
