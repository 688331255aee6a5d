"""The expectations file format: TOML and YAML, entries, wildcards, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.expectations.file import ExpectationsError, check_id, load_expectations
from conformance.expectations.matching import judge_expectation

TOML = """
[registry]
name = "example registry 1.0"

[[expect]]
check = "test_tags.py::test_n_returns_the_first_n_tags_or_a_link"
outcome = "failed"
reason = "ignores n"
link = "https://example.invalid/issue/1"
rule = "tags-list-n"

[[expect]]
check = "test_grammar.py::test_invalid_repository_name_is_refused_on_pull[*]"
outcome = "warned"
reason = "plain 404 bodies"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_toml_entries_and_wildcards(tmp_path: Path) -> None:
    expectations = load_expectations(write(tmp_path, "e.toml", TOML))
    assert expectations.registry == {"name": "example registry 1.0"}
    exact = expectations.find("test_tags.py::test_n_returns_the_first_n_tags_or_a_link")
    assert exact is not None and exact.outcome == "failed" and exact.rule == "tags-list-n"
    assert exact.link == "https://example.invalid/issue/1"
    star = expectations.find("test_grammar.py::test_invalid_repository_name_is_refused_on_pull[upper-case]")
    assert star is not None and star.outcome == "warned"
    # brackets are literal, only * is a wildcard
    assert expectations.find("test_grammar.py::test_invalid_repository_name_is_refused_on_pullX") is None
    assert expectations.find("test_tags.py::test_n_returns_the_first_n_tags_or_a_link[x]") is None
    stale = expectations.stale(["test_tags.py::test_n_returns_the_first_n_tags_or_a_link"])
    assert [entry.check for entry in stale] == [
        "test_grammar.py::test_invalid_repository_name_is_refused_on_pull[*]"
    ]


def test_yaml_is_the_same_data(tmp_path: Path) -> None:
    yaml_text = (
        "registry: {name: example}\n"
        "expect:\n"
        "  - check: test_blobs.py::test_x\n"
        "    outcome: unsupported\n"
        "    reason: no ranges\n"
    )
    expectations = load_expectations(write(tmp_path, "e.yaml", yaml_text))
    entry = expectations.find("test_blobs.py::test_x")
    assert entry is not None
    assert (entry.outcome, entry.reason, entry.link) == ("unsupported", "no ranges", None)


@pytest.mark.parametrize(
    ("name", "text", "complaint"),
    [
        ("e.json", "{}", "must end in .toml, .yaml or .yml"),
        ("e.toml", "expect = [", "not valid TOML"),
        ("e.toml", "[[expect]]\ncheck = 'a'\noutcome = 'failed'\n", "`reason` is required"),
        ("e.toml", "[[expect]]\ncheck = 'a'\noutcome = 'broken'\nreason = 'r'\n", "must be one of failed"),
        ("e.toml", "[[expect]]\ncheck = 'a'\noutcome = 'failed'\nreason = 'r'\nwhy = 1\n", "unknown key(s)"),
        ("e.toml", "registry = 3\n", "`registry` must be a table"),
        ("e.toml", "extra = 1\n", "unknown top-level key(s)"),
        ("e.toml", "[[expect]]\ncheck='a'\noutcome='failed'\nreason='r'\n[[expect]]\ncheck='a'\n"
                   "outcome='warned'\nreason='s'\n", "repeats check 'a'"),
        ("e.yaml", "- just a list\n", "the top level must be a table"),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path: Path, name: str, text: str, complaint: str) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(ExpectationsError) as caught:
        load_expectations(path)
    assert complaint in str(caught.value) and str(path) in str(caught.value)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ExpectationsError, match="cannot read"):
        load_expectations(tmp_path / "absent.toml")


def test_check_ids_are_relative_to_the_suites_folder() -> None:
    assert check_id("conformance/suites/test_tags.py::test_x[a]") == "test_tags.py::test_x[a]"
    assert check_id("my_suites/test_mine.py::test_y") == "my_suites/test_mine.py::test_y"


@pytest.mark.parametrize(
    ("actual", "listed", "kind", "fails_run", "fails_strict"),
    [
        ("failed", "failed", "expected", False, False),
        ("warned", "warned", "expected", False, False),
        ("passed", None, "expected", False, False),
        ("unsupported", None, "expected", False, False),
        ("failed", None, "unexpected-failure", True, True),
        ("error", "failed", "unexpected-failure", True, True),
        ("passed", "failed", "unexpected-pass", False, True),
        ("warned", None, "unexpected-warning", False, True),
        ("warned", "failed", "changed", False, True),
        ("unsupported", "failed", "changed", False, True),
    ],
)
def test_each_outcome_against_its_entry(  # noqa: PLR0917 (one parameter per column of the table)
    tmp_path: Path, actual: str, listed: str | None, kind: str, fails_run: bool, fails_strict: bool
) -> None:
    text = f"[[expect]]\ncheck='c'\noutcome='{listed}'\nreason='r'\n" if listed else ""
    entry = load_expectations(write(tmp_path, "e.toml", text)).find("c")
    verdict = judge_expectation(actual, entry)
    assert verdict.kind == kind
    assert verdict.fails_run(strict=False) is fails_run
    assert verdict.fails_run(strict=True) is fails_strict
    assert verdict.expected_failure is (kind == "expected" and actual == "failed")
