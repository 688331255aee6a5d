"""What an expectation makes of a check's real outcome.

The real outcome is never changed (results.json keeps it); the expectation adds a status:

    expected      the outcome is the one listed (or the check passed and no entry names it)
    unexpected    anything else: a failure or error nobody listed (a regression), a listed check that
                  passed (an unexpected pass: the registry improved or the entry is stale), or a listed
                  check whose outcome changed to another non-passing kind

An unexpected failure or error fails the run as it would without a file; an expected failure does not.
Other unexpected statuses are reported loudly and fail the run only under `--registry-expectations-strict`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.expectations.file import Expectation

FAILING = ("failed", "error")


@dataclass(frozen=True)
class ExpectationVerdict:
    """The expectation's view of one check."""

    expected: str
    actual: str
    entry: Expectation | None

    @property
    def as_expected(self) -> bool:
        """True when the real outcome is what the file says (or a pass for an unlisted check)."""
        if self.entry is None:
            return self.actual not in FAILING and self.actual != "warned"
        return self.actual == self.expected

    @property
    def kind(self) -> str:
        """The status: expected, unexpected-failure, unexpected-pass, unexpected-warning or changed."""
        if self.as_expected:
            return "expected"
        if self.actual in FAILING:
            return "unexpected-failure"
        if self.actual == "passed":
            return "unexpected-pass"
        if self.actual == "warned" and self.entry is None:
            return "unexpected-warning"
        return "changed"

    @property
    def expected_failure(self) -> bool:
        """True for a failure the file lists: it does not fail the run."""
        return self.as_expected and self.actual == "failed"

    def fails_run(self, *, strict: bool) -> bool:
        """Whether this check makes the run fail (`strict`: any unexpected status does)."""
        if self.as_expected:
            return False
        return strict or self.actual in FAILING

    def as_json(self) -> dict[str, Any]:
        """The `expectation` object of the check in results.json."""
        return {
            "expected": self.expected,
            "status": self.kind,
            "reason": self.entry.reason if self.entry else None,
            "link": self.entry.link if self.entry else None,
            "rule": self.entry.rule if self.entry else None,
            "entry": self.entry.check if self.entry else None,
        }


def judge_expectation(actual: str, entry: Expectation | None) -> ExpectationVerdict:
    """The expectation verdict for a check whose real outcome is `actual` and whose entry is `entry`."""
    expected = entry.outcome if entry is not None else "passed"
    return ExpectationVerdict(expected, actual, entry)
