"""Tests of `conformance.checks.settle_tally`: per-kind counts and lags, the merge of several processes'
blocks (the median over the pooled lags), the run note (only when a list lagged or never showed the write,
with the option's hint at 0 s), and the block in a results document: valid against the schema, and the
validator's consistency check catches lags that do not match the polled count."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.checks.settle_tally import KINDS, SettleTally, merge_settle, settle_note
from conformance.reporting.html import render_html
from conformance.reporting.validation import problems_of

CORPUS = Path(__file__).resolve().parents[2] / "schemas" / "corpus" / "results" / "valid"


def _tally(settle_time: float, *reads: tuple[str, int, float | None]) -> SettleTally:
    tally = SettleTally(settle_time)
    for kind, polls, lag in reads:
        tally.record(kind, polls=polls, waited=lag or 0.0, lag=lag)  # type: ignore[arg-type]
    return tally


def test_reads_are_counted_per_kind() -> None:
    block = _tally(5.0, ("tags", 0, 0.0), ("tags", 4, 2.2), ("tags", 9, None),
                   ("referrers", 2, 0.3)).as_json()
    assert block["settle_time_seconds"] == 5.0 and list(block["kinds"]) == list(KINDS)
    tags = block["kinds"]["tags"]
    assert (tags["reads"], tags["polled"], tags["unsettled"], tags["polls"]) == (3, 1, 1, 13)
    assert tags["lags_seconds"] == [2.2] and tags["median_lag_seconds"] == 2.2
    assert block["kinds"]["catalog"] == {"reads": 0, "polled": 0, "unsettled": 0, "polls": 0,
                                         "waited_seconds": 0.0, "max_lag_seconds": None,
                                         "median_lag_seconds": None, "lags_seconds": []}


def test_workers_blocks_merge_with_the_median_over_every_lag() -> None:
    one = _tally(5.0, ("tags", 3, 1.0), ("tags", 3, 2.0)).as_json()
    two = _tally(5.0, ("tags", 5, 4.0), ("catalog", 0, 0.0)).as_json()
    merged = merge_settle([one, two])
    tags = merged["kinds"]["tags"]
    assert (tags["reads"], tags["polled"], tags["polls"]) == (3, 3, 11)
    assert sorted(tags["lags_seconds"]) == [1.0, 2.0, 4.0]
    assert tags["median_lag_seconds"] == 2.0 and tags["max_lag_seconds"] == 4.0
    assert merged["kinds"]["catalog"]["reads"] == 1 and merged["settle_time_seconds"] == 5.0
    assert merge_settle([])["kinds"]["tags"]["reads"] == 0


def test_the_run_note_names_the_lag_and_never_calls_it_a_failure() -> None:
    assert settle_note(_tally(5.0, ("tags", 0, 0.0)).as_json()) is None
    lagged = settle_note(_tally(5.0, ("tags", 0, 0.0), ("tags", 4, 2.25)).as_json())
    assert lagged == ("list lag (settle time 5 s): tags 1 of 2 reads needed polling (lag max 2.25 s, median "
                      "2.25 s) (a lag is no non-conformance; see results.json settle)")
    never = settle_note(_tally(0.0, ("referrers", 0, None)).as_json())
    assert never is not None and "referrers 0 of 1 reads needed polling, 1 did not show the write" in never
    assert "--registry-settle-time SECONDS" in never


def _document() -> dict[str, Any]:
    path = next(iter(sorted(CORPUS.glob("*.json"))))
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def test_a_results_document_with_the_block_is_valid_and_shown_in_the_report() -> None:
    document = _document()
    document["settle"] = _tally(5.0, ("tags", 4, 2.2), ("tags", 0, 0.0)).as_json()
    assert problems_of(document) == []
    page = render_html(document)
    assert "list settle time" in page and "tags: 1 of 2 reads polled, max lag 2.2 s" in page
    document["settle"] = None  # a run before the block existed
    assert problems_of(document) == []


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda tags: tags.update(lags_seconds=[]), "0 lags listed for 1 polled reads"),
    (lambda tags: tags.update(max_lag_seconds=9.0), "max_lag_seconds is not the largest"),
    (lambda tags: tags.update(unsettled=5), "exceed its 2 reads"),
])
def test_the_validator_catches_a_block_that_does_not_add_up(edit: Any, problem: str) -> None:
    document = _document()
    block = _tally(5.0, ("tags", 4, 2.2), ("tags", 0, 0.0)).as_json()
    edit(block["kinds"]["tags"])
    document["settle"] = block
    assert any(problem in item for item in problems_of(document)), problems_of(document)


def test_the_schema_refuses_a_malformed_block() -> None:
    document = _document()
    block = copy.deepcopy(_tally(5.0).as_json())
    del block["kinds"]["referrers"]
    block["kinds"]["tags"]["polls"] = -1
    document["settle"] = block
    problems = " ".join(problems_of(document))
    assert "referrers" in problems and "-1" in problems
