"""The expectations file of the suite against a real registry: what it holds, how runs compare with it.

`distribution-2.8.2.json` (beside this module) pins the verdict of EVERY check of the conformance suite
against Debian's distribution 2.8.2:

    registry      what ran (package, version) and `command`: how the run that is compared was made
    reasons       {key: text}: each known behaviour of 2.8.2 a check demonstrates. `deviation-1`..
                  `deviation-12` are the numbered items of real-peers.md ("distribution 2.8.2 behaviour that
                  differs from the OCI 1.1 spec"); other keys name behaviours verified on 2.8.2 itself, or
                  why a check cannot run there (no credentials, no read-only data named)
    non_passing   {check id: {outcome, reasons: [keys], detail}}: every check that does not pass, with the
                  reasons it does not pass and what it saw (`detail`, written when reviewed)
    passing       [check id]: every check that passes (listed so that a vanished check is noticed)
    noted         {check id: {note, reasons}}: passing checks that demonstrate a behaviour by a note they
                  record (a departure the spec allows, e.g. a relative `Link`); the run must record `note`
                  (a substring of one of the check's notes), else that is a change too

A check id is the pytest node id below `conformance/suites/` (`test_tags.py::test_n_zero_...`).

`compare(expectations, observed)` lists every `Change` (a verdict that differs, a new check, a vanished
check); `render_changes` makes the readable diff a failing test shows. `regenerate(previous, observed)`
makes the next file from a run: it keeps the reasons and details of checks whose outcome did not change and
marks every new or changed non-passing check `REASON NEEDED` (with the old reasons kept for the reviewer),
so that nothing is pinned without a person reading it. `review_problems` lists what a reviewer still owes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXPECTATIONS_PATH = Path(__file__).resolve().with_name("distribution-2.8.2.json")
REASON_NEEDED = "REASON NEEDED"
SUITES_PREFIX = "conformance/suites/"
PASSED = "passed"
NON_PASSING = ("warned", "failed", "error", "unsupported", "disabled", "skipped")
DEVIATIONS = tuple(f"deviation-{number}" for number in range(1, 13))
"""Reason keys of the twelve numbered deviations of real-peers.md."""
MESSAGE_LIMIT = 400


def check_id(nodeid: str) -> str:
    """`conformance/suites/test_x.py::test_y[z]` -> `test_x.py::test_y[z]`."""
    return nodeid.split(SUITES_PREFIX, 1)[-1]


@dataclass(frozen=True)
class Expected:
    """The pinned verdict of one non-passing check and why it does not pass."""

    outcome: str
    reasons: tuple[str, ...]
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        """The file's form of this entry."""
        return {"outcome": self.outcome, "reasons": list(self.reasons), "detail": self.detail}


@dataclass(frozen=True)
class Noted:
    """A note a passing check must record, and the behaviour it demonstrates."""

    note: str
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The file's form of this entry."""
        return {"note": self.note, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Observed:
    """One check of a run: its outcome, what it said (message, SHOULD warnings or traceback), its notes."""

    outcome: str
    message: str = ""
    notes: tuple[str, ...] = ()

    def has_note(self, text: str) -> bool:
        """True when one of the check's notes contains `text`."""
        return any(text in note for note in self.notes)


@dataclass
class Expectations:
    """The whole file."""

    registry: dict[str, str]
    reasons: dict[str, str]
    non_passing: dict[str, Expected]
    passing: list[str]
    noted: dict[str, Noted] = field(default_factory=dict)
    about: str = ""

    def outcomes(self) -> dict[str, str]:
        """The pinned outcome of every check id."""
        pinned = dict.fromkeys(self.passing, PASSED)
        pinned.update({key: entry.outcome for key, entry in self.non_passing.items()})
        return pinned

    def citing(self, reason: str) -> list[str]:
        """Ids of the checks (non-passing or noted) that give `reason`."""
        entries: list[tuple[str, Expected | Noted]] = [*self.non_passing.items(), *self.noted.items()]
        return sorted(key for key, entry in entries if reason in entry.reasons)

    def to_json(self) -> dict[str, Any]:
        """The document written to disk (sorted, so a regeneration diffs cleanly)."""
        return {
            "about": self.about,
            "registry": self.registry,
            "reasons": self.reasons,
            "non_passing": {key: self.non_passing[key].to_json() for key in sorted(self.non_passing)},
            "passing": sorted(self.passing),
            "noted": {key: self.noted[key].to_json() for key in sorted(self.noted)},
        }

    def dump(self, path: Path = EXPECTATIONS_PATH) -> None:
        """Write the file (UTF-8, two-space indent, trailing newline)."""
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Expectations:
        """Read the file's document; a malformed entry raises ValueError naming it."""
        non_passing: dict[str, Expected] = {}
        for key, entry in document.get("non_passing", {}).items():
            if not isinstance(entry, dict) or "outcome" not in entry or "reasons" not in entry:
                raise ValueError(f"non_passing[{key!r}] needs an outcome and reasons: {entry!r}")
            non_passing[key] = Expected(
                str(entry["outcome"]), tuple(entry["reasons"]), entry.get("detail", "")
            )
        return cls(
            registry=dict(document.get("registry", {})),
            reasons=dict(document.get("reasons", {})),
            non_passing=non_passing,
            passing=list(document.get("passing", [])),
            noted={
                key: Noted(str(entry["note"]), tuple(entry["reasons"]))
                for key, entry in document.get("noted", {}).items()
            },
            about=str(document.get("about", "")),
        )

    @classmethod
    def load(cls, path: Path = EXPECTATIONS_PATH) -> Expectations:
        """Read the file at `path`."""
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


# runs ----------------------------------------------------------------------------------------------
def observed_checks(results: dict[str, Any]) -> dict[str, Observed]:
    """Every check of a results.json document by check id, with what it said."""
    observed: dict[str, Observed] = {}
    for check in results.get("checks", []):
        key = check_id(check["nodeid"])
        if key in observed:
            raise ValueError(f"results.json lists {key} twice")
        observed[key] = Observed(check["outcome"], _what_it_said(check), tuple(check.get("notes") or ()))
    return observed


def _what_it_said(check: dict[str, Any]) -> str:
    parts = [check.get("message") or ""]
    parts += [f"SHOULD: {warning}" for warning in check.get("warnings") or []]
    if not any(parts) and check.get("longrepr"):
        parts.append(str(check["longrepr"]).strip().splitlines()[-1])
    return " | ".join(part.strip() for part in parts if part.strip())


def shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` on one line, cut to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# comparing -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    """One check whose verdict differs from the pinned one (None: the check is absent on that side)."""

    check: str
    expected: str | None
    actual: str | None
    reasons: tuple[str, ...] = ()
    message: str = ""

    @property
    def kind(self) -> str:
        """new check, vanished check, or changed verdict."""
        if self.expected is None:
            return "new check"
        if self.actual is None:
            return "vanished check"
        if self.actual == self.expected:
            return "missing note"
        return "changed verdict"

    def render(self) -> str:
        """Lines of the diff for this check."""
        expected = self.expected or "(not in the file)"
        if self.reasons:
            expected += f" because {', '.join(self.reasons)}"
        lines = [
            f"  {self.check}",
            f"      {self.kind}: expected {expected}; actual {self.actual or '(not run)'}",
        ]
        if self.message:
            lines.append(f"      message: {shorten(self.message)}")
        return "\n".join(lines)


def compare(expectations: Expectations, observed: dict[str, Observed]) -> list[Change]:
    """Every check whose outcome differs between the file and the run, in check-id order."""
    pinned = expectations.outcomes()
    changes = []
    for key in sorted(set(pinned) | set(observed)):
        expected = pinned.get(key)
        seen = observed.get(key)
        actual = seen.outcome if seen is not None else None
        noted = expectations.noted.get(key)
        if expected == actual and noted is not None and seen is not None and not seen.has_note(noted.note):
            changes.append(
                Change(
                    key,
                    expected,
                    actual,
                    noted.reasons,
                    f"the note {noted.note!r} is missing; notes: {' | '.join(seen.notes)}",
                )
            )
            continue
        if expected == actual:
            continue
        entry = expectations.non_passing.get(key)
        changes.append(
            Change(key, expected, actual, entry.reasons if entry else (), seen.message if seen else "")
        )
    return changes


def render_changes(changes: list[Change], *, registry: str, results_path: Path | None = None) -> str:
    """The readable diff: a summary line, then every changed check with its outcomes and message."""
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.kind] = counts.get(change.kind, 0) + 1
    summary = ", ".join(f"{count} {kind}{'s' if count > 1 else ''}" for kind, count in sorted(counts.items()))
    checks = "1 check differs" if len(changes) == 1 else f"{len(changes)} checks differ"
    lines = [f"{checks} from the expectations against {registry} ({summary}):"]
    lines += [change.render() for change in changes]
    lines.append(f"expectations: {EXPECTATIONS_PATH}")
    if results_path is not None:
        lines.append(f"this run: {results_path}")
    lines.append(
        "If a change is intended, regenerate and review every REASON NEEDED: "
        "python -m tests.conformance.expectations.update_expectations"
        + (f" --results {results_path}" if results_path is not None else "")
    )
    return "\n".join(lines)


# regenerating --------------------------------------------------------------------------------------
@dataclass
class Regeneration:
    """The next file and what changed on the way (for the update script's summary)."""

    expectations: Expectations
    needs_review: list[str] = field(default_factory=list)
    now_passing: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)
    lost_notes: list[str] = field(default_factory=list)
    """Noted checks dropped from `noted` because they no longer pass with their note (review these)."""


def regenerate(previous: Expectations, observed: dict[str, Observed]) -> Regeneration:
    """The file for the run `observed`, keeping what a reviewer wrote wherever the outcome is unchanged.

    A non-passing check that is new, or whose outcome changed, gets `REASON NEEDED` first in its reasons
    (its former reasons follow, for the reviewer) and the run's message as detail. Vanished checks are
    dropped; checks that pass now are listed as passing. A noted check keeps its entry while it passes with
    its note; otherwise the entry is dropped and listed in `lost_notes` for the reviewer.
    """
    result = Regeneration(
        Expectations(dict(previous.registry), dict(previous.reasons), {}, [], {}, previous.about)
    )
    pinned = previous.outcomes()
    for key in sorted(observed):
        seen = observed[key]
        if seen.outcome == PASSED:
            result.expectations.passing.append(key)
            if pinned.get(key, PASSED) != PASSED:
                result.now_passing.append(key)
            continue
        old = previous.non_passing.get(key)
        if old is not None and old.outcome == seen.outcome:
            result.expectations.non_passing[key] = old
            continue
        kept = tuple(reason for reason in (old.reasons if old else ()) if reason != REASON_NEEDED)
        was = f"was {pinned[key]}; " if key in pinned else "new check; "
        result.expectations.non_passing[key] = Expected(
            seen.outcome, (REASON_NEEDED, *kept), shorten(was + seen.message)
        )
        result.needs_review.append(key)
    result.vanished = sorted(set(pinned) - set(observed))
    for key, noted in previous.noted.items():
        now = observed.get(key)
        if now is not None and now.outcome == PASSED and now.has_note(noted.note):
            result.expectations.noted[key] = noted
        else:
            result.lost_notes.append(key)
    return result


def review_problems(expectations: Expectations) -> list[str]:
    """What keeps the file from being a reviewed record: one line per problem (empty when reviewed)."""
    problems = []
    for key, entry in sorted(expectations.non_passing.items()):
        if entry.outcome not in NON_PASSING:
            problems.append(f"{key}: outcome {entry.outcome!r} is not a non-passing outcome {NON_PASSING}")
        if not entry.reasons:
            problems.append(f"{key}: no reason given")
        for reason in entry.reasons:
            if reason == REASON_NEEDED:
                problems.append(f"{key}: {REASON_NEEDED} ({entry.outcome}: {shorten(entry.detail, 200)})")
            elif reason not in expectations.reasons:
                problems.append(f"{key}: reason {reason!r} is not defined under 'reasons'")
    for reason in sorted(expectations.reasons):
        if not expectations.citing(reason):
            problems.append(f"reason {reason!r} is defined but no check gives it")
    for key, noted in sorted(expectations.noted.items()):
        if key not in expectations.passing:
            problems.append(f"{key}: noted, but not listed as passing")
        for reason in noted.reasons:
            if reason not in expectations.reasons:
                problems.append(f"{key}: reason {reason!r} is not defined under 'reasons'")
    missing = [key for key in DEVIATIONS if key not in expectations.reasons]
    if missing:
        problems.append(f"the deviations of real-peers.md lack a reason entry: {', '.join(missing)}")
    both = sorted(set(expectations.passing) & set(expectations.non_passing))
    if both:
        problems.append(f"listed as passing and non-passing: {', '.join(both)}")
    if len(set(expectations.passing)) != len(expectations.passing):
        problems.append("a check is listed twice under 'passing'")
    return problems
