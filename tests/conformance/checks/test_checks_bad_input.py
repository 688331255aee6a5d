"""Tests of `conformance.checks.bad_input`: the refusal rule of the bad-input property checks, on canned
answers (a conforming refusal passes quietly; a 5xx, a 2xx or a code outside the set fails; a refusal that
does not name the problem warns once per rule, not once per example)."""

from __future__ import annotations

import pytest

from conformance.capabilities import Capabilities
from conformance.checks.bad_input import DIGEST_CODES, NAME_CODES, TAG_CODES, check_refused_input
from conformance.checks.properties import PropertyRun
from conformance.verdicts import MustViolation, ShouldViolation
from tests.conformance.checks.checks_doubles import MemoryRegistry, answer, envelope, run_config, verdicts


def property_run(label: str) -> PropertyRun:
    return PropertyRun(MemoryRegistry().client(), run_config(), Capabilities(), label)


@pytest.mark.parametrize(("status", "code", "codes"), [
    (400, "NAME_INVALID", NAME_CODES), (404, "NAME_UNKNOWN", NAME_CODES), (401, "UNAUTHORIZED", NAME_CODES),
    (400, "TAG_INVALID", TAG_CODES), (400, "DIGEST_INVALID", DIGEST_CODES), (403, "DENIED", DIGEST_CODES),
])
def test_a_refusal_with_an_allowed_status_and_code_passes(
    status: int, code: str, codes: tuple[str, ...]
) -> None:
    with verdicts() as recorder:
        check_refused_input(property_run(f"allowed-{status}-{code}"), answer(status, content=envelope(code)),
                            codes, (code,), "PUT")
    assert recorder.should_violations == []


def test_a_server_error_fails() -> None:
    with pytest.raises(MustViolation, match="a server error for bad input"):
        check_refused_input(property_run("server-error"), answer(500, content=envelope("UNKNOWN")),
                            NAME_CODES, (), "GET manifest of 'A'")


@pytest.mark.parametrize("status", [201, 202, 405])
def test_an_answer_that_is_no_allowed_refusal_fails(status: int) -> None:
    with pytest.raises(MustViolation, match="expected 400 or 401 or 403 or 404"):
        check_refused_input(property_run(f"no-refusal-{status}"), answer(status), TAG_CODES, (), "PUT")


def test_a_code_outside_the_allowed_set_fails() -> None:
    with pytest.raises(MustViolation, match=r"error codes \['BLOB_UPLOAD_INVALID'\], expected one of"):
        check_refused_input(property_run("wrong-code"), answer(400, content=envelope("BLOB_UPLOAD_INVALID")),
                            DIGEST_CODES, (), "closing PUT")


def test_a_refusal_not_naming_the_problem_warns_once_per_rule() -> None:
    run = property_run("plain-404")
    with verdicts() as recorder, pytest.warns(ShouldViolation, match="SHOULD name NAME_INVALID"):
        for _ in range(3):  # three examples, one rule
            check_refused_input(run, answer(404, content=b"404 page not found\n"), NAME_CODES,
                                ("NAME_INVALID",), "POST upload to name 'A'", rule="push-to-invalid-name")
    assert len(recorder.should_violations) == 1
    assert "a non-JSON body" in recorder.should_violations[0]
