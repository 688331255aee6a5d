"""Verdicts of conformance checks: the outcome taxonomy and the helpers check bodies use to state them.

A check (one test in `conformance/suites/`) ends in exactly one outcome:

    passed                 every requirement held (advice may have been recorded)
    warned                 passed, but at least one SHOULD of the ledger was broken
    failed                 a MUST was broken (`judge` on a MUST rule, `SetupFailed`, `RegistryTransportError`,
                           a plain `assert`), or a SHOULD under `--registry-strict`
    unsupported            an optional feature is absent in a way the spec allows (`unsupported(...)`)
    disabled               switched off by the user (`--no-push`, `OCI_API_REFERRER=false`, ...)
    error                  a bug of the harness (`HarnessError` or any other unexpected exception)

The level of a broken rule is never chosen by the check: `judge(rule, condition, message)` asks the rule
(`conformance.ledger`), whose RFC 2119 keyword gives FAIL, WARN or ADVICE for the run's spec version
(`--registry-spec-version`) and reading (`--registry-strict-readings`):

    judge(pull.MANIFEST_GET_200, response.status_code == 200, f"GET answered {response.status_code}")

Every call records the rule as evaluated by the running check, and every broken rule becomes a
`RuleFinding` (level, rule, message) that the reports show beside the rule's quote.

Exception tree (what a check body raises, and what the plugin makes of it):

    AssertionError
     └── MustViolation            -> failed
    UserWarning
     └── ShouldViolation          -> warned (a warning); failed under --registry-strict
    Exception
     └── HarnessError             -> error ("never hide an error as a skip")

Other helpers: `note(message)` records information that is no verdict (a capability seen, what was left
behind); `unsupported(reason)` and `disabled(reason)` end the check as skipped with that kind.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NoReturn

import pytest

from conformance.ledger.model import Level, Rule, SpecVersion

UNSUPPORTED_PREFIX = "unsupported: "
DISABLED_PREFIX = "disabled: "


class Outcome(StrEnum):
    """The recorded outcome of one check, worst last (the order `worst()` uses)."""

    PASSED = "passed"
    DISABLED = "disabled"
    UNSUPPORTED = "unsupported"
    SKIPPED = "skipped"
    WARNED = "warned"
    FAILED = "failed"
    ERROR = "error"

    @staticmethod
    def worst(outcomes: list[Outcome]) -> Outcome:
        """The most severe of `outcomes` (PASSED for an empty list)."""
        order = list(Outcome)
        return max(outcomes, key=order.index, default=Outcome.PASSED)


@dataclass(frozen=True)
class VerdictSettings:
    """What the run holds the registry to: the spec text (`1.1` or `main`) and the reading of open text."""

    spec_version: SpecVersion = SpecVersion.V1_1
    strict_readings: bool = False


_settings: list[VerdictSettings] = [VerdictSettings()]


def configure(settings: VerdictSettings) -> None:
    """Set the run's verdict settings (the plugin does this once per process, at configure)."""
    _settings[0] = settings


def settings() -> VerdictSettings:
    """The run's verdict settings."""
    return _settings[0]


@dataclass(frozen=True)
class RuleFinding:
    """A rule a check found broken, at the level the rule gives in this run, and what was seen."""

    level: Level
    rule: Rule
    message: str

    def as_json(self, version: SpecVersion) -> dict[str, Any]:
        """The finding as results.json carries it (the rule's text for `version`)."""
        sentence = self.rule.sentence(version)
        refers = self.rule.refers_to
        return {
            "level": self.level.value,
            "rule": self.rule.id,
            "document": self.rule.document.key,
            "anchor": self.rule.anchor,
            "url": self.rule.document.url(self.rule.anchor, version),
            "keyword": sentence.keyword.value or None,
            "quote": sentence.quote,
            "refers_to": None if refers is None else {
                "document": refers.document.key, "anchor": refers.anchor, "quote": refers.quote,
                "url": refers.document.url(refers.anchor),
            },
            "position": self.rule.position,
            "contested": self.rule.contested,
            "message": self.message,
        }


def _cited(message: str, rule: Rule | None) -> str:
    if rule is not None:
        return f"{message}\n    [{rule.citation(settings().spec_version)}]"
    return message


class MustViolation(AssertionError):  # noqa: N818 (the name the spec language suggests)
    """The registry violated a MUST of the spec: the check fails."""

    def __init__(self, message: str, *, rule: Rule | None = None) -> None:
        super().__init__(_cited(message, rule))
        self.ref = None if rule is None else rule.id
        self.rule = rule
        self.plain_message = message


class ShouldViolation(UserWarning):
    """The registry violated a SHOULD of the spec: the check passes with a warning (fails when strict)."""

    def __init__(self, message: str, *, rule: Rule | None = None) -> None:
        super().__init__(_cited(message, rule))
        self.ref = None if rule is None else rule.id
        self.rule = rule
        self.plain_message = message


class HarnessError(Exception):
    """A bug or misuse inside the harness itself; reported as an error, never as a registry failure."""


@dataclass
class VerdictRecorder:
    """What one running check said besides raising: SHOULD violations, notes and its HTTP transcripts."""

    should_violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    transcripts: list[Any] = field(default_factory=list)
    findings: list[RuleFinding] = field(default_factory=list)
    evaluated: set[str] = field(default_factory=set)

    def add_transcript(self, transcript: Any) -> None:
        """Attach a client `Transcript` so a failure report can show the requests the check made."""
        if not any(existing is transcript for existing in self.transcripts):
            self.transcripts.append(transcript)


_current: ContextVar[VerdictRecorder | None] = ContextVar("conformance_verdict_recorder", default=None)


def current_recorder() -> VerdictRecorder | None:
    """The recorder of the check running now, or None outside a check."""
    return _current.get()


@contextmanager
def recording(recorder: VerdictRecorder) -> Iterator[VerdictRecorder]:
    """Make `recorder` the current one for the duration of the block (the plugin wraps each test)."""
    token = _current.set(recorder)
    try:
        yield recorder
    finally:
        _current.reset(token)


def judge(rule: Rule, condition: object, message: str) -> bool:
    """State that `rule` holds when `condition` is truthy; otherwise break it at the level the rule gives.

    FAIL raises `MustViolation` (the check ends failed); WARN records a SHOULD violation (and raises under
    `--registry-strict`); ADVICE records advice. Returns whether the condition held, so a check can go on
    differently after a warning or advice.
    """
    __tracebackhide__ = True
    recorder = _current.get()
    if recorder is not None:
        recorder.evaluated.add(rule.id)
    if condition:
        return True
    run = settings()
    level = rule.level(run.spec_version, strict_readings=run.strict_readings)
    if level is Level.FAIL:
        raise MustViolation(message, rule=rule)
    if recorder is not None:
        recorder.findings.append(RuleFinding(level, rule, message))
    if level is Level.WARN:
        violation = ShouldViolation(message, rule=rule)
        if recorder is not None:
            recorder.should_violations.append(str(violation))
        warnings.warn(violation, stacklevel=2)
    return False


def note(message: str) -> None:
    """Record an informational finding (e.g. an optional header is absent); it never changes the outcome."""
    recorder = _current.get()
    if recorder is not None:
        recorder.notes.append(message)


def unsupported(reason: str) -> NoReturn:
    """End the check as skipped "unsupported: <reason>": an optional feature is absent in an allowed way."""
    __tracebackhide__ = True
    pytest.skip(UNSUPPORTED_PREFIX + reason)


def disabled(reason: str) -> NoReturn:
    """End the check as skipped "disabled: <reason>": the user switched the feature off."""
    __tracebackhide__ = True
    pytest.skip(DISABLED_PREFIX + reason)
