"""Tests of `conformance.checks.warning_headers`: the spec's Warning form passes; every other form, a date
and more than 4096 bytes fail on their MUST."""

from __future__ import annotations

import pytest

from conformance.checks.warning_headers import check_warning_headers, warning_values
from conformance.ledger.rules import general
from conformance.verdicts import MustViolation
from tests.conformance.checks.checks_doubles import answer, verdicts


def test_the_spec_form_parses_commas_inside_the_text_included() -> None:
    [value] = warning_values('299 - "expires in 30 seconds, renew"') or []
    assert (value.code, value.agent, value.text, value.date) == ("299", "-", '"expires in 30 seconds, renew"',
                                                                 None)
    assert [v.code for v in warning_values('299 - "a", 299 - "b"') or []] == ["299", "299"]
    assert warning_values("299 -") is None and warning_values('299 - "a" junk') is None


def test_conforming_warnings_pass_and_are_counted() -> None:
    with verdicts() as recorder:
        two = answer(200, [("Warning", '299 - "a"'), ("Warning", '299 - "b"')])
        seen = check_warning_headers([answer(200), two])
    assert seen == 2 and recorder.findings == []
    assert general.WARNING_HEADER_FORMAT.id in recorder.evaluated


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('199 - "a"', "warn-code 199"),
        ('299 registry.example "a"', "warn-agent 'registry.example'"),
        ('299 - "a" "Sat, 01 Jan 2000 00:00:00 GMT"', "carries a warn-date"),
        ("299 - unquoted", "is not warn-code SP warn-agent"),
    ],
)
def test_other_forms_fail_on_the_format_must(line: str, problem: str) -> None:
    with verdicts(), pytest.raises(MustViolation, match=problem) as failed:
        check_warning_headers([answer(200, [("Warning", line)])])
    assert failed.value.rule is general.WARNING_HEADER_FORMAT


def test_more_than_4096_bytes_of_warnings_fail_on_the_size_must() -> None:
    lines = [("Warning", f'299 - "{"x" * 1000}"') for _ in range(5)]
    with verdicts(), pytest.raises(MustViolation, match="bytes of Warning headers") as failed:
        check_warning_headers([answer(200, lines)])
    assert failed.value.rule is general.WARNING_HEADER_SIZE
