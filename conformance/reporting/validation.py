"""Validation of a results.json document: the JSON Schema (`schemas/must/results.json`) plus consistency.

The schema says what each field must look like; the code checks what a schema cannot: the counts add up
to the checks, the `cleanup` block's counts add up to the leftovers it lists, the `settle` block's polled
reads match the lags it lists, the `requests` block keeps to its own limits (no more sent than
`max_requests`, waits and refusals only with a limit), and the verdict is the worst
counted outcome (`raw_verdict` when an expectations file was used: `verdict` then discounts what the file
expected, but never an unexpected failure). Every
consumer of a results document (the HTML writer, compare) calls `validate_results` first, so a malformed
document fails loudly.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import schemas

SCHEMA_NAME = "results"
OUTCOMES = ("passed", "warned", "failed", "error", "unsupported", "disabled", "skipped")
COUNTED_WORST = ("error", "failed", "warned")


class ResultsError(ValueError):
    """A results document that is not valid; the message lists every problem."""

    def __init__(self, problems: list[str], source: str = "results.json") -> None:
        self.problems = problems
        self.source = source
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{source} is not a valid registry-harness results document:\n{lines}")


def problems_of(document: object) -> list[str]:
    """Every schema violation and inconsistency of `document` ([] when it is valid)."""
    problems = [str(violation) for violation in schemas.validate(document, SCHEMA_NAME)]
    if problems or not isinstance(document, dict):
        return problems
    checks: list[dict[str, Any]] = document["checks"]
    seen = Counter(check["outcome"] for check in checks)
    counts: dict[str, int] = document["counts"]
    for outcome in OUTCOMES:
        if counts[outcome] != seen.get(outcome, 0):
            problems.append(f"$.counts.{outcome} is {counts[outcome]} but {seen.get(outcome, 0)} checks "
                            f"have that outcome")
    if counts["total"] != len(checks):
        problems.append(f"$.counts.total is {counts['total']} but there are {len(checks)} checks")
    worst = next((outcome for outcome in COUNTED_WORST if seen.get(outcome)), "passed")
    judged = "raw_verdict" if document.get("expectations") else "verdict"
    if document.get(judged, worst) != worst:
        problems.append(f"$.{judged} is {document[judged]!r} but the worst outcome is {worst!r}")
    if document.get("expectations"):
        unexpected = Counter(check["outcome"] for check in checks
                             if (check.get("expectation") or {}).get("status") == "unexpected-failure")
        floor = next((outcome for outcome in ("error", "failed") if unexpected.get(outcome)), None)
        if floor is not None and document["verdict"] not in ("error", "failed"):
            problems.append(f"$.verdict is {document['verdict']!r} but a check ended {floor!r} unexpectedly")
    problems += cleanup_problems(document.get("cleanup"))
    problems += settle_problems(document.get("settle"))
    problems += requests_problems(document.get("requests"))
    ids = Counter(check["nodeid"] for check in checks)
    duplicated = sorted(nodeid for nodeid, number in ids.items() if number > 1)
    if duplicated:
        problems.append(f"$.checks: node ids listed more than once: {duplicated[:5]}")
    return problems


def settle_problems(block: dict[str, Any] | None) -> list[str]:
    """What the schema cannot say about the `settle` block: each kind's counts and lags agree."""
    problems: list[str] = []
    for kind, tally in ((block or {}).get("kinds") or {}).items():
        where = f"$.settle.kinds.{kind}"
        if tally["polled"] + tally["unsettled"] > tally["reads"]:
            problems.append(f"{where}: {tally['polled']} polled + {tally['unsettled']} unsettled reads "
                            f"exceed its {tally['reads']} reads")
        lags = tally["lags_seconds"]
        if len(lags) != tally["polled"]:
            problems.append(f"{where}: {len(lags)} lags listed for {tally['polled']} polled reads")
        largest = max(lags) if lags else None
        if tally["max_lag_seconds"] != largest:
            problems.append(f"{where}.max_lag_seconds is not the largest of lags_seconds")
    return problems


def requests_problems(block: dict[str, Any] | None) -> list[str]:
    """What the schema cannot say about the `requests` block: it keeps within the limits it names."""
    if block is None:
        return []
    problems = []
    if block["waited"] > block["sent"]:
        problems.append(f"$.requests: {block['waited']} requests waited but only {block['sent']} were sent")
    if block["max_rps"] is None and (block["waited"] or block["waited_seconds"]):
        problems.append("$.requests: requests waited for a rate cap but max_rps is null")
    if block["max_requests"] is not None and block["sent"] > block["max_requests"]:
        problems.append(f"$.requests: {block['sent']} requests sent, more than max_requests "
                        f"{block['max_requests']}")
    if block["refused"] and block["max_rps"] is None and block["max_requests"] is None:
        problems.append("$.requests: requests were refused but no limit is set")
    return problems


def cleanup_problems(block: dict[str, Any] | None) -> list[str]:
    """What the schema cannot say about the `cleanup` block: its counts add up to the leftovers listed."""
    if block is None:
        return []
    problems = []
    listed = Counter(item["kind"] for repository in block["repositories"] for item in repository["left"])
    for kind in ("tag", "manifest", "blob", "total"):
        registered, deleted, left = (block[name][kind] for name in ("registered", "deleted", "left"))
        if registered != deleted + left:
            problems.append(f"$.cleanup: {registered} {kind} registered but {deleted} deleted + {left} left")
        shown = sum(listed.values()) if kind == "total" else listed.get(kind, 0)
        if left != shown:
            problems.append(f"$.cleanup.left.{kind} is {left} but {shown} are listed in its repositories")
    for name in ("registered", "deleted", "left"):
        counts = block[name]
        if counts["total"] != counts["tag"] + counts["manifest"] + counts["blob"]:
            problems.append(f"$.cleanup.{name}.total is not the sum of its kinds")
    names = Counter(repository["repository"] for repository in block["repositories"])
    twice = sorted(name for name, number in names.items() if number > 1)
    if twice:
        problems.append(f"$.cleanup.repositories: listed more than once: {twice[:5]}")
    if (block["hint"] is None) != (block["left"]["total"] == 0):
        problems.append("$.cleanup.hint must be a string exactly when something was left")
    return problems


def validate_results(document: object, source: str = "results.json") -> dict[str, Any]:
    """Return `document` when it is a valid results document, else raise `ResultsError`."""
    problems = problems_of(document)
    if problems:
        raise ResultsError(problems, source)
    assert isinstance(document, dict)
    return document
