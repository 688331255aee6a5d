"""results.json validation: the schema plus the consistency checks a schema cannot express."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import schemas
from conformance.reporting.html import write_html_report
from conformance.reporting.validation import ResultsError, problems_of, validate_results

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / f"{name}.results.json").read_text())
    return document


@pytest.mark.parametrize("name", ["bundled", "distribution"])
def test_real_runs_are_valid(name: str) -> None:
    document = fixture(name)
    assert schemas.validate(document, "results") == []
    assert validate_results(document) is document


def test_counts_that_do_not_add_up_are_refused() -> None:
    document = fixture("distribution")
    document["counts"]["failed"] += 1
    document["counts"]["total"] += 1
    problems = problems_of(document)
    assert "$.counts.failed is 3 but 2 checks have that outcome" in problems
    assert "$.counts.total is 10 but there are 9 checks" in problems


def test_a_verdict_better_than_the_worst_outcome_is_refused() -> None:
    document = fixture("distribution")
    document["verdict"] = "warned"
    assert problems_of(document) == ["$.verdict is 'warned' but the worst outcome is 'failed'"]


def test_duplicated_checks_are_refused() -> None:
    document = fixture("bundled")
    document["checks"].append(copy.deepcopy(document["checks"][0]))
    outcome = document["checks"][0]["outcome"]
    document["counts"][outcome] += 1
    document["counts"]["total"] += 1
    assert any("listed more than once" in problem for problem in problems_of(document))


def test_html_writer_refuses_an_invalid_document(tmp_path: Path) -> None:
    document = fixture("bundled")
    document["checks"][0]["outcome"] = "xpassed"
    with pytest.raises(ResultsError) as caught:
        write_html_report(document, tmp_path / "report.html")
    assert "$.checks[0].outcome" in str(caught.value)
    assert not (tmp_path / "report.html").exists()
