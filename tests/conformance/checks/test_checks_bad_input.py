"""Tests of `conformance.checks.bad_input`: the refusal rule of the bad-input property checks, on canned
answers. Any 4xx passes; a 5xx departs from HTTP semantics (advice for v1.1, a warning by the main text);
acting on invalid input is advice unless the strict reading is asked for; a JSON 4xx that is no envelope
fails every time (Hypothesis must see each failing example fail); warnings and advice are stated once per
rule and operation, not once per example."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.bad_input import NAME_CODES, TAG_CODES, check_refused_input, malformation_rule
from conformance.checks.properties import PropertyRun
from conformance.ledger.model import SpecVersion
from conformance.ledger.rules import errors, grammar
from conformance.verdicts import MustViolation, ShouldViolation, VerdictSettings, configure, settings
from tests.conformance.checks.checks_doubles import MemoryRegistry, answer, envelope, run_config, verdicts

Judging = Callable[..., None]


@pytest.fixture
def judged_by() -> Iterator[Judging]:
    """Switch the run's verdict settings inside a test (restored afterwards)."""
    previous = settings()

    def switch(**values: object) -> None:
        configure(VerdictSettings(**values))  # type: ignore[arg-type]

    yield switch
    configure(previous)


def property_run(label: str) -> PropertyRun:
    return PropertyRun(MemoryRegistry().client(), run_config(), Capabilities(), label)


def refuse_name(run: PropertyRun, status: int, content: bytes = b"", key: str = "push") -> None:
    check_refused_input(run, answer(status, content=content), "POST upload to name 'A/0'",
                        acting_rule=grammar.NAME_GRAMMAR, codes=NAME_CODES,
                        code_rule=errors.INVALID_NAME_CODE, key=key)


@pytest.mark.parametrize(("status", "code"), [
    (400, "NAME_INVALID"), (404, "NAME_UNKNOWN"), (401, "UNAUTHORIZED"), (403, "DENIED"),
])
def test_a_refusal_with_a_fitting_code_passes_quietly(status: int, code: str) -> None:
    with verdicts() as recorder:
        refuse_name(property_run(f"fitting-{status}"), status, envelope(code))
    assert recorder.findings == [] and recorder.should_violations == []
    assert {"name-grammar", "error-envelope", "error-code-table", "invalid-name-code"} <= recorder.evaluated


def test_a_plain_text_refusal_is_right_and_names_no_code() -> None:
    with verdicts() as recorder:
        refuse_name(property_run("plain-404"), 404, b"404 page not found\n")
    assert recorder.findings == []
    assert any("non-JSON error body" in text for text in recorder.notes)


def test_a_server_error_is_advice_for_v1_1_and_a_warning_by_the_main_text(judged_by: Judging) -> None:
    with verdicts() as recorder:
        refuse_name(property_run("server-error-1.1"), 500, envelope("UNKNOWN"))
    found = [(finding.level.value, finding.rule.id) for finding in recorder.findings]
    assert found == [("advice", "server-error-for-client-error")]
    judged_by(spec_version=SpecVersion.MAIN)
    with verdicts() as recorder, pytest.warns(ShouldViolation, match="a server error"):
        refuse_name(property_run("server-error-main"), 500, envelope("UNKNOWN"))
    assert len(recorder.should_violations) == 1


def test_acting_on_an_invalid_name_is_advice_unless_the_strict_reading(judged_by: Judging) -> None:
    with verdicts() as recorder:
        refuse_name(property_run("acting"), 202)
    assert [(f.level.value, f.rule.id) for f in recorder.findings] == [("advice", "name-grammar")]
    judged_by(strict_readings=True)
    with pytest.raises(MustViolation, match="expected a 4xx"):
        refuse_name(property_run("acting-strict"), 202)


def test_a_json_refusal_that_is_no_envelope_fails_for_every_example() -> None:
    run = property_run("no-envelope")
    for _ in range(2):
        with pytest.raises(MustViolation, match="not an OCI error envelope"):
            refuse_name(run, 400, b'{"error": "bad name"}')


def test_a_code_from_the_table_that_does_not_fit_is_advice_once_per_rule_and_operation() -> None:
    run = property_run("odd-code")
    with verdicts() as recorder:
        for _ in range(3):  # three examples of one operation
            refuse_name(run, 400, envelope("BLOB_UPLOAD_INVALID"))
        refuse_name(run, 400, envelope("BLOB_UPLOAD_INVALID"), key="tags")
    assert [(f.level.value, f.rule.id) for f in recorder.findings] == [("advice", "invalid-name-code")] * 2
    assert recorder.should_violations == []


def test_a_code_outside_the_table_fails() -> None:
    with pytest.raises(MustViolation, match=r"\['NOPE'\] are not in the spec's table"):
        check_refused_input(property_run("unknown-code"), answer(400, content=envelope("NOPE")), "PUT",
                            acting_rule=grammar.TAG_GRAMMAR, codes=TAG_CODES,
                            code_rule=errors.INVALID_TAG_CODE, key="put")


@pytest.mark.parametrize(("digest", "rule"), [
    ("sha256:abc", "digest-sha256-encoding"), ("sha512:" + "a" * 64, "digest-sha512-encoding"),
    ("blake3:A", "digest-blake3-encoding"), ("SHA256:" + "a" * 64, "digest-grammar"),
    ("nocolon", "digest-grammar"),
])
def test_a_malformed_digest_breaks_the_sentence_of_its_form(digest: str, rule: str) -> None:
    assert malformation_rule(digest).id == rule
