"""Verdicts of conformance checks: the outcome taxonomy and the helpers check bodies use to state them.

A check (one test in `conformance/suites/`) ends in exactly one outcome:

    passed                 every MUST held and no SHOULD was violated
    warned                 passed, but at least one SHOULD was violated (`should(...)`)
    failed                 a MUST was violated (`must(...)`, a plain `assert`, `SetupFailed`,
                           `RegistryTransportError`), or a SHOULD under `--registry-strict`
    unsupported            an optional feature is absent in a way the spec allows (`unsupported(...)`)
    disabled               switched off by the user (`--no-push`, `OCI_API_REFERRER=false`, ...)
    error                  a bug of the harness (`HarnessError` or any other unexpected exception)

Exception tree (what a check body raises, and what the plugin makes of it):

    AssertionError
     └── MustViolation            -> failed
    UserWarning
     └── ShouldViolation          -> warned (a warning); failed under --registry-strict
    Exception
     └── HarnessError             -> error ("never hide an error as a skip")

Helpers for check bodies (import from `conformance.verdicts`):

    must(condition, message, *, ref=None)     raise MustViolation when condition is false
    should(condition, message, *, ref=None)   warn ShouldViolation when condition is false
    note(message)                             record an informational finding (no effect on the outcome)
    unsupported(reason) -> NoReturn           skip as "unsupported: <reason>"

`ref` names the spec rule ("end-3", "spec.md#pulling-manifests", "code-3"); it is shown in the message and
stored in the reports. The plugin keeps one `VerdictRecorder` per running test (a context variable) so
that SHOULD violations and notes reach the reports even when pytest's own warning capture is configured
differently.
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


def _with_ref(message: str, ref: str | None) -> str:
    return f"{message} [{ref}]" if ref else message


class MustViolation(AssertionError):  # noqa: N818 (the name the spec language suggests)
    """The registry violated a MUST of the spec: the check fails."""

    def __init__(self, message: str, *, ref: str | None = None) -> None:
        super().__init__(_with_ref(message, ref))
        self.ref = ref
        self.plain_message = message


class ShouldViolation(UserWarning):
    """The registry violated a SHOULD of the spec: the check passes with a warning (fails when strict)."""

    def __init__(self, message: str, *, ref: str | None = None) -> None:
        super().__init__(_with_ref(message, ref))
        self.ref = ref
        self.plain_message = message


class HarnessError(Exception):
    """A bug or misuse inside the harness itself; reported as an error, never as a registry failure."""


@dataclass
class VerdictRecorder:
    """What one running check said besides raising: SHOULD violations, notes and its HTTP transcripts."""

    should_violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    transcripts: list[Any] = field(default_factory=list)

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


def must(condition: object, message: str, *, ref: str | None = None) -> None:
    """Fail the check with `MustViolation(message)` unless `condition` is truthy."""
    __tracebackhide__ = True
    if not condition:
        raise MustViolation(message, ref=ref)


def should(condition: object, message: str, *, ref: str | None = None) -> bool:
    """Warn with `ShouldViolation(message)` unless `condition` is truthy; return whether it held.

    The check goes on after a warning. Under `--registry-strict` the plugin turns the warning into an
    error, so the check fails at this line.
    """
    __tracebackhide__ = True
    if condition:
        return True
    violation = ShouldViolation(message, ref=ref)
    recorder = _current.get()
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
