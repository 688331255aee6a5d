"""The expectations tooling itself: comparing a run, rendering the diff, regenerating for review."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from conformance.results import CheckResult, RunResults
from tests.conformance.expectations import update_expectations
from tests.conformance.expectations.expectations_file import (
    DEVIATIONS,
    REASON_NEEDED,
    Expectations,
    Expected,
    Noted,
    Observed,
    compare,
    observed_checks,
    regenerate,
    render_changes,
    review_problems,
)

REASONS = {key: f"text of {key}" for key in DEVIATIONS}


def pinned() -> Expectations:
    return Expectations(
        registry={"software": "x"},
        reasons=dict(REASONS),
        non_passing={
            "test_tags.py::test_n": Expected("failed", ("deviation-2",), "n ignored"),
            "test_uploads.py::test_single[post]": Expected("unsupported", ("deviation-7",), "202"),
            "test_grammar.py::test_upper": Expected("warned", ("deviation-12",), "plain 404"),
        },
        passing=["test_catalog.py::test_pages", "test_ping.py::test_ping"],
        noted={"test_catalog.py::test_pages": Noted("Link target is relative", ("deviation-3",))},
    )


def observed(**changes: Observed) -> dict[str, Observed]:
    run = {
        "test_tags.py::test_n": Observed("failed", "tags/list?n=3 returned 8 tags"),
        "test_uploads.py::test_single[post]": Observed("unsupported", "unsupported: single_post"),
        "test_grammar.py::test_upper": Observed("warned", "SHOULD: 404 does not name the problem"),
        "test_ping.py::test_ping": Observed("passed"),
        "test_catalog.py::test_pages": Observed(
            "passed", notes=("catalog Link target is relative (</v2/..>)",)
        ),
    }
    run.update(changes)
    return run


def test_a_run_with_the_pinned_verdicts_has_no_changes() -> None:
    assert compare(pinned(), observed()) == []


def test_every_kind_of_change_is_listed_with_outcomes_and_message() -> None:
    run = observed(
        **{
            "test_tags.py::test_n": Observed("passed"),
            "test_ping.py::test_ping": Observed("error", "HarnessError: boom"),
            "test_new.py::test_new": Observed("failed", "MustViolation: new"),
            "test_catalog.py::test_pages": Observed("passed", notes=("other note",)),
        }
    )
    del run["test_grammar.py::test_upper"]
    changes = compare(pinned(), run)
    assert [(c.check, c.kind, c.expected, c.actual) for c in changes] == [
        ("test_catalog.py::test_pages", "missing note", "passed", "passed"),
        ("test_grammar.py::test_upper", "vanished check", "warned", None),
        ("test_new.py::test_new", "new check", None, "failed"),
        ("test_ping.py::test_ping", "changed verdict", "passed", "error"),
        ("test_tags.py::test_n", "changed verdict", "failed", "passed"),
    ]
    text = render_changes(changes, registry="distribution 2.8.2", results_path=Path("/tmp/r/results.json"))
    assert text.startswith(
        "5 checks differ from the expectations against distribution 2.8.2 (2 changed verdicts, "
        "1 missing note, 1 new check, 1 vanished check):"
    )
    assert "expected failed because deviation-2; actual passed" in text
    assert "expected (not in the file); actual failed\n      message: MustViolation: new" in text
    assert "expected warned because deviation-12; actual (not run)" in text
    assert "message: HarnessError: boom" in text
    assert "update_expectations --results /tmp/r/results.json" in text


def test_regenerate_keeps_reviewed_entries_and_marks_the_rest() -> None:
    run = observed(
        **{
            "test_tags.py::test_n": Observed("warned", "SHOULD: something"),
            "test_ping.py::test_ping": Observed("passed"),
            "test_new.py::test_new": Observed("failed", "MustViolation: new"),
            "test_uploads.py::test_single[post]": Observed("passed"),
        }
    )
    regeneration = regenerate(pinned(), run)
    result = regeneration.expectations
    assert (
        result.non_passing["test_grammar.py::test_upper"]
        == pinned().non_passing["test_grammar.py::test_upper"]
    )
    assert result.non_passing["test_tags.py::test_n"] == Expected(
        "warned", (REASON_NEEDED, "deviation-2"), "was failed; SHOULD: something"
    )
    assert result.non_passing["test_new.py::test_new"] == Expected(
        "failed", (REASON_NEEDED,), "new check; MustViolation: new"
    )
    assert "test_uploads.py::test_single[post]" in result.passing
    assert regeneration.needs_review == ["test_new.py::test_new", "test_tags.py::test_n"]
    assert regeneration.now_passing == ["test_uploads.py::test_single[post]"]
    assert result.noted == pinned().noted
    problems = review_problems(result)
    assert "test_new.py::test_new: REASON NEEDED (failed: new check; MustViolation: new)" in problems
    assert "reason 'deviation-7' is defined but no check gives it" in problems
    assert compare(result, run) == []


def test_regenerate_drops_vanished_checks_and_lost_notes() -> None:
    run = observed(**{"test_catalog.py::test_pages": Observed("passed")})
    del run["test_ping.py::test_ping"]
    regeneration = regenerate(pinned(), run)
    assert regeneration.vanished == ["test_ping.py::test_ping"]
    assert regeneration.lost_notes == ["test_catalog.py::test_pages"]
    assert regeneration.expectations.noted == {}
    assert "test_ping.py::test_ping" not in regeneration.expectations.outcomes()


def test_review_problems_of_a_hand_edited_file() -> None:
    broken = pinned()
    broken.non_passing["test_x.py::test_y"] = Expected("passed", ("no-such-reason",))
    broken.passing.append("test_tags.py::test_n")
    del broken.reasons["deviation-5"]
    problems = review_problems(broken)
    assert any(
        problem.startswith("test_x.py::test_y: outcome 'passed' is not a non-passing outcome")
        for problem in problems
    )
    assert "test_x.py::test_y: reason 'no-such-reason' is not defined under 'reasons'" in problems
    assert "the deviations of real-peers.md lack a reason entry: deviation-5" in problems
    assert "listed as passing and non-passing: test_tags.py::test_n" in problems


def test_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    pinned().dump(path)
    assert Expectations.load(path) == pinned()
    assert json.loads(path.read_text())["passing"] == sorted(pinned().passing)


def test_observed_checks_read_results_json() -> None:
    results = {
        "checks": [
            {
                "nodeid": "conformance/suites/test_a.py::test_b[x]",
                "outcome": "warned",
                "message": None,
                "warnings": ["no NAME_INVALID"],
                "notes": ["n1"],
                "longrepr": None,
            },
            {
                "nodeid": "conformance/suites/test_a.py::test_c",
                "outcome": "error",
                "message": "",
                "warnings": [],
                "notes": [],
                "longrepr": "Traceback\n  ...\nKeyError: 'x'\n",
            },
        ]
    }
    assert observed_checks(results) == {
        "test_a.py::test_b[x]": Observed("warned", "SHOULD: no NAME_INVALID", ("n1",)),
        "test_a.py::test_c": Observed("error", "KeyError: 'x'"),
    }


def test_update_script_rewrites_from_a_results_file_and_asks_for_review(tmp_path: Path) -> None:
    file = tmp_path / "expectations.json"
    pinned().dump(file)
    run = RunResults("http://127.0.0.1:5000", False, datetime.now(UTC))
    for key, seen in observed(**{"test_new.py::test_new": Observed("failed", "new")}).items():
        module = key.split("::", 1)[0]
        run.checks.append(
            CheckResult(
                f"conformance/suites/{key}",
                key.split("::", 1)[1],
                module,
                seen.outcome,
                message=seen.message,
                notes=list(seen.notes),
            )
        )
    results = tmp_path / "results.json"
    results.write_text(json.dumps(run.to_json()))
    assert update_expectations.main(["--results", str(results), "--file", str(file)]) == 1
    assert Expectations.load(file).non_passing["test_new.py::test_new"].reasons == (REASON_NEEDED,)
