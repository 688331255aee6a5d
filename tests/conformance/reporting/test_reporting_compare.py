"""compare: the checks x registries matrix from two fixture runs (bundled server vs distribution 2.8.2)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conformance.cli import main as cli_main
from conformance.reporting.compare import build_matrix, load_run, render_html, render_markdown

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED_MARKDOWN = FIXTURES / "expected-compare.md"


def runs() -> list:  # type: ignore[type-arg]
    return [load_run(FIXTURES / "bundled.results.json", "bundled"),
            load_run(FIXTURES / "distribution.results.json", "distribution-2.8.2")]


def test_markdown_matches_the_stored_expected_output() -> None:
    assert render_markdown(build_matrix(runs())) == EXPECTED_MARKDOWN.read_text(encoding="utf-8")


def test_differences_are_the_rows_whose_outcomes_differ() -> None:
    matrix = build_matrix(runs())
    differing = {row.key: row.cells for row in matrix.checks if row.differs}
    assert differing == {
        "test_blobs.py::test_range_get_of_invalid_or_unsatisfiable_range_is_416[bytes=500-0]":
            ("passed", "failed"),
        "test_deletes.py::test_tag_delete_removes_only_that_tag": ("passed", "unsupported"),
        "test_grammar.py::test_invalid_repository_name_is_refused_on_pull[double dot]": ("passed", "warned"),
        "test_mounts.py::test_mount_of_a_sha512_blob": ("passed", "failed"),
        "test_tags.py::test_n_larger_than_the_total_returns_every_tag": ("-", "passed"),
        "test_uploads.py::test_upload_creates_a_blob_pullable_at_the_returned_location[single-post]":
            ("passed", "unsupported"),
    }
    assert len(matrix.checks) == 9
    first = build_matrix(runs(), differences_first=True).checks
    assert [row.differs for row in first] == [True] * 6 + [False] * 3


def test_html_highlights_exactly_the_differing_rows() -> None:
    matrix = build_matrix(runs())
    page = render_html(matrix)
    table = re.search(r'<table id="matrix">.*?</table>', page, re.S)
    assert table
    rows = re.findall(r"<tr( class=\"diff\")?><th scope=\"row\"><code>([^<]+)</code>", table.group(0))
    highlighted = {key.replace("&#x27;", "'") for css, key in rows if css}
    assert highlighted == {row.key for row in matrix.checks if row.differs}
    assert '<td class="missing">not run</td>' in table.group(0)


def test_same_check_from_different_directories_lines_up(tmp_path: Path) -> None:
    document = json.loads((FIXTURES / "bundled.results.json").read_text())
    for check in document["checks"]:
        check["module"] = "/elsewhere/site-packages/" + check["module"]
        check["nodeid"] = "/elsewhere/site-packages/" + check["nodeid"]
    moved = tmp_path / "results.json"
    moved.write_text(json.dumps(document))
    matrix = build_matrix([load_run(FIXTURES / "bundled.results.json"), load_run(tmp_path)])
    assert matrix.differences == 0


def test_cli_writes_both_files_and_prints_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli_main(["compare", str(FIXTURES / "bundled.results.json"),
                     str(FIXTURES / "distribution.results.json"),
                     "--label", "bundled", "--label", "distribution-2.8.2", "-o", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert out == EXPECTED_MARKDOWN.read_text(encoding="utf-8")
    assert (tmp_path / "compare.md").read_text(encoding="utf-8") == out
    assert (tmp_path / "compare.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_cli_refuses_an_invalid_or_missing_results_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "results.json"
    document = json.loads((FIXTURES / "bundled.results.json").read_text())
    document["counts"]["passed"] = 99
    bad.write_text(json.dumps(document))
    assert cli_main(["compare", str(bad), "-o", str(tmp_path / "out")]) == 2
    assert "$.counts.passed is 99" in capsys.readouterr().err
    assert cli_main(["compare", str(tmp_path / "nowhere"), "-o", str(tmp_path / "out")]) == 2
    assert "no results.json there" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
