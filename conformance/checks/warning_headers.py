"""The `Warning` headers a registry sends (spec.md "Warnings"): `299 - "<text>"`, no date, 4096 bytes at most.

`warning_values(response)` parses every `Warning` header line of an answer into its warn-values (RFC 7234
section 5.5 syntax: warn-code SP warn-agent SP quoted warn-text [SP quoted warn-date], comma-separated);
`check_warning_headers(responses)` judges them: each value MUST have warn-code 299 and warn-agent `-` and
no warn-date (general.WARNING_HEADER_FORMAT), and the warning data of one answer, all headers combined,
MUST NOT exceed 4096 bytes (general.WARNING_HEADER_SIZE). A line that does not parse breaks the format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from conformance.client import Response
from conformance.ledger.rules import general
from conformance.verdicts import judge, note

MAX_WARNING_BYTES = 4096
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_VALUE = re.compile(
    rf'\s*(?P<code>[0-9]{{3}}) (?P<agent>[^\s,"]+) (?P<text>{_QUOTED})(?: (?P<date>{_QUOTED}))?\s*'
)


@dataclass(frozen=True)
class WarnValue:
    """One warn-value of a `Warning` header."""

    code: str
    agent: str
    text: str
    date: str | None


def warning_values(line: str) -> list[WarnValue] | None:
    """The warn-values of one `Warning` header line, or None when the line is not that syntax."""
    values: list[WarnValue] = []
    position = 0
    while True:
        match = _VALUE.match(line, position)
        if match is None:
            return None
        values.append(WarnValue(match["code"], match["agent"], match["text"], match["date"]))
        position = match.end()
        if position == len(line):
            return values
        if line[position] != ",":
            return None
        position += 1


def check_warning_headers(responses: Iterable[Response]) -> int:
    """Judge the `Warning` headers of `responses`; returns how many warn-values were seen."""
    __tracebackhide__ = True
    seen = 0
    for response in responses:
        lines = response.headers.get_list("warning")
        if not lines:
            continue
        for line in lines:
            values = warning_values(line)
            if not judge(general.WARNING_HEADER_FORMAT, values is not None,
                         f"{response.describe()}: Warning {line!r} is not warn-code SP warn-agent SP "
                         "\"warn-text\""):
                continue
            assert values is not None
            for value in values:
                seen += 1
                judge(general.WARNING_HEADER_FORMAT, value.code == "299" and value.agent == "-",
                      f"{response.describe()}: Warning {line!r} has warn-code {value.code} and warn-agent "
                      f"{value.agent!r}, expected 299 and -")
                judge(general.WARNING_HEADER_FORMAT, value.date is None,
                      f"{response.describe()}: Warning {line!r} carries a warn-date")
        size = sum(len(line.encode("utf-8", "replace")) for line in lines)
        judge(general.WARNING_HEADER_SIZE, size <= MAX_WARNING_BYTES,
              f"{response.describe()}: {size} bytes of Warning headers (at most {MAX_WARNING_BYTES})")
        note(f"{response.describe()}: Warning {lines}")
    return seen
