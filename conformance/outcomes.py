"""How one phase of a check becomes an outcome, the rules it rests on and the findings the reports show.

The plugin's makereport hook calls `phase_payload(item, call, recorder)`; the result travels with the pytest
report (also through pytest-xdist) and `conformance.session` folds the phases of a check into its
`CheckResult`. Besides the outcome (see `conformance.verdicts`) the payload carries:

- `rules`: the ledger rules the check declares (`@pytest.mark.rules(...)`, module `pytestmark` included);
- `evaluated_rules`: the rules its `judge` calls evaluated;
- `findings`: every broken rule with its level, quote and what was seen. A `MustViolation` brings its rule;
  a transport failure (no complete HTTP answer within the deadline) rests on `general.HTTP_COMPLETE_ANSWER`;
  a refused setup step on `general.CATEGORY_CLAIM` (the position each rule records says why).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.client.errors import RegistryTransportError, SetupFailed
from conformance.ledger.catalog import rule_by_id
from conformance.ledger.model import Level, Rule
from conformance.ledger.rules import general
from conformance.switches import CATEGORIES
from conformance.verdicts import (
    DISABLED_PREFIX,
    UNSUPPORTED_PREFIX,
    MustViolation,
    Outcome,
    RuleFinding,
    ShouldViolation,
    VerdictRecorder,
    settings,
)

FAILURE_EXCEPTIONS: tuple[type[BaseException], ...] = (
    AssertionError, MustViolation, ShouldViolation, SetupFailed, RegistryTransportError,
)
TRANSCRIPT_LAST = 100


def declared_rules(item: pytest.Item) -> list[Rule]:
    """The rules named by the item's `rules` markers (function, class, module and parameter marks)."""
    found: dict[str, Rule] = {}
    for marker in item.iter_markers("rules"):
        for value in marker.args:
            rule = value if isinstance(value, Rule) else rule_by_id(str(value))
            found.setdefault(rule.id, rule)
    return sorted(found.values(), key=lambda rule: rule.id)


def strongest_level(rules: list[Rule]) -> str | None:
    """The strongest requirement level among `rules` in this run: MUST, SHOULD or MAY (advice), or None."""
    run = settings()
    levels = {rule.level(run.spec_version, strict_readings=run.strict_readings) for rule in rules}
    for level, name in ((Level.FAIL, "MUST"), (Level.WARN, "SHOULD"), (Level.ADVICE, "MAY")):
        if level in levels:
            return name
    return None


def item_metadata(item: pytest.Item, markers: frozenset[str]) -> dict[str, Any]:
    """Rules, level, categories, features and markers of a check, for its payload."""
    rules = declared_rules(item)
    names = sorted({marker.name for marker in item.iter_markers()} & markers)
    level = strongest_level(rules) if rules else None
    return {
        "rules": [rule.id for rule in rules],
        "spec_refs": sorted({f"{rule.document.key}#{rule.anchor}" for rule in rules}),
        "level": level,
        "categories": [name for name in CATEGORIES if name in names],
        "features": sorted({str(name) for marker in item.iter_markers("feature") for name in marker.args}),
        "markers": names,
    }


def render_transcripts(recorder: VerdictRecorder) -> str | None:
    """The check's transcripts as text (the last TRANSCRIPT_LAST exchanges of each), or None."""
    used = [transcript for transcript in recorder.transcripts if getattr(transcript, "entries", None)]
    parts = []
    for number, transcript in enumerate(used, start=1):
        heading = f"--- client {number} of {len(used)} ---\n" if len(used) > 1 else ""
        parts.append(heading + transcript.render(last=TRANSCRIPT_LAST))
    return "\n\n".join(parts) if parts else None


def _skip_reason(call: pytest.CallInfo[None]) -> str:
    assert call.excinfo is not None
    return str(getattr(call.excinfo.value, "msg", "") or call.excinfo.value)


def phase_outcome(call: pytest.CallInfo[None], recorder: VerdictRecorder) -> tuple[str, str | None]:
    """The outcome a phase implies, and its message."""
    excinfo = call.excinfo
    if excinfo is None:
        return (Outcome.WARNED if recorder.should_violations else Outcome.PASSED), None
    if excinfo.errisinstance(pytest.skip.Exception):
        reason = _skip_reason(call)
        if reason.startswith(UNSUPPORTED_PREFIX):
            return Outcome.UNSUPPORTED, reason
        if reason.startswith(DISABLED_PREFIX):
            return Outcome.DISABLED, reason
        return Outcome.SKIPPED, reason
    text = str(excinfo.value).split("\n\nHTTP transcript:", 1)[0]  # SetupFailed appends its transcript
    message = f"{excinfo.typename}: {text}"
    if call.when != "teardown" and is_registry_failure(excinfo.value):
        return Outcome.FAILED, message
    return Outcome.ERROR, message


def is_registry_failure(exc: BaseException) -> bool:
    """A verdict against the registry (MUST, assert, refused setup, transport), not a harness bug.

    An exception group (Hypothesis reports several distinct failures as one) is a failure only when
    every exception in it is one.
    """
    if isinstance(exc, BaseExceptionGroup):
        return all(is_registry_failure(inner) for inner in exc.exceptions)
    return isinstance(exc, (pytest.fail.Exception, *FAILURE_EXCEPTIONS))


def _failure_findings(exc: BaseException) -> list[RuleFinding]:
    """The FAIL findings an exception that failed a check stands for."""
    if isinstance(exc, BaseExceptionGroup):
        return [finding for inner in exc.exceptions for finding in _failure_findings(inner)]
    if isinstance(exc, MustViolation) and exc.rule is not None:
        return [RuleFinding(Level.FAIL, exc.rule, exc.plain_message)]
    if isinstance(exc, RegistryTransportError):
        return [RuleFinding(Level.FAIL, general.HTTP_COMPLETE_ANSWER, str(exc))]
    if isinstance(exc, SetupFailed):
        return [RuleFinding(Level.FAIL, general.CATEGORY_CLAIM, str(exc).split("\n\nHTTP transcript", 1)[0])]
    if isinstance(exc, ShouldViolation) and exc.rule is not None:  # --registry-strict
        return [RuleFinding(Level.WARN, exc.rule, exc.plain_message)]
    return []


def findings_json(
    recorder: VerdictRecorder, call: pytest.CallInfo[None], outcome: str
) -> list[dict[str, Any]]:
    """Every finding of the phase, as results.json carries them."""
    findings = list(recorder.findings)
    if call.excinfo is not None and outcome == Outcome.FAILED:
        recorded = {(finding.rule.id, finding.message) for finding in findings}
        findings += [finding for finding in _failure_findings(call.excinfo.value)
                     if (finding.rule.id, finding.message) not in recorded]
    version = settings().spec_version
    return [finding.as_json(version) for finding in findings]


def phase_payload(
    item: pytest.Item, call: pytest.CallInfo[None], recorder: VerdictRecorder, markers: frozenset[str]
) -> dict[str, Any]:
    """The verdict payload of one phase (see the module docstring)."""
    outcome, message = phase_outcome(call, recorder)
    transcript = render_transcripts(recorder) if outcome in (
        Outcome.FAILED, Outcome.ERROR, Outcome.WARNED) else None
    return dict(
        item_metadata(item, markers),
        outcome=str(outcome),
        message=message,
        warnings=list(recorder.should_violations),
        notes=list(recorder.notes),
        findings=findings_json(recorder, call, outcome),
        evaluated_rules=sorted(recorder.evaluated),
        transcript=transcript,
    )
