"""Property and stateful checks find a registry broken in one small way, and shrink to the minimal example.

One bundled reference server, two proxies in front of it: a clean one (every check must pass through it)
and one with three narrow faults (`breakage.py`; that run takes the strict readings, see STRICT_READINGS).
The same three checks run against both, as the real suite in subprocesses, in parallel; the tests read
results.json: outcome, message (the falsifying example and the seed) and transcript (the minimal example's
HTTP exchanges, nothing from earlier examples).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from conformance.registries import start_reference_server
from tests.conformance.broken.proxy import FaultProxy
from tests.conformance.properties.breakage import CorruptOneByteChunk, DropLastTagOfPage, TagDeleteIgnored
from tests.conformance.properties.property_runs import run_checks

CHUNKS = "test_any_chunk_plan_yields_the_same_blob"
TAG_PAGES = "test_any_tag_set_pages_into_exactly_the_sorted_tags"
MACHINE = "test_registry_agrees_with_a_model_of_two_repositories"
NODES = [f"test_properties.py::{CHUNKS}", f"test_properties.py::{TAG_PAGES}", f"test_stateful.py::{MACHINE}"]

SEED = "--hypothesis-seed=2"
"""A fixed seed: the runs are reproducible (with a random one the machine might not reach a tag delete)."""
STRICT_READINGS = "--registry-strict-readings"
"""For the broken run: a tag still served after its DELETE is a contested MUST (tag-delete-gone), advice by
default; only a failing verdict makes Hypothesis shrink, so that run takes the strict readings."""

Results = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Results, Results]]:
    """(clean, broken) results of the three checks against the reference server behind two proxies."""
    base = tmp_path_factory.mktemp("property-shrinking")
    server = start_reference_server()
    clean = FaultProxy(server.url).start()
    broken = FaultProxy(server.url, [CorruptOneByteChunk(), DropLastTagOfPage(), TagDeleteIgnored()]).start()
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            clean_run = pool.submit(run_checks, clean.url, NODES, Path(base / "clean"), SEED)
            broken_run = pool.submit(run_checks, broken.url, NODES, Path(base / "broken"), SEED,
                                     STRICT_READINGS)
            yield clean_run.result(), broken_run.result()
    finally:
        clean.stop()
        broken.stop()
        server.stop()


def test_every_check_passes_through_the_clean_proxy(runs: tuple[Results, Results]) -> None:
    clean, _ = runs
    assert {name: check["outcome"] for name, check in clean.items()} == {
        CHUNKS: "passed", TAG_PAGES: "passed", MACHINE: "passed"}, {n: c["message"] for n, c in clean.items()}


def test_a_corrupted_one_byte_chunk_shrinks_to_the_plan_of_one_byte(runs: tuple[Results, Results]) -> None:
    check = runs[1][CHUNKS]
    assert check["outcome"] == "failed"
    assert "plan = ChunkPlan(sizes=[1], empty closing PUT)" in check["message"]
    assert SEED in check["message"]
    transcript = check["transcript"]
    assert transcript.startswith("# falsifying example of chunk-plan")
    assert "ChunkPlan(sizes=[1], empty closing PUT)" in transcript
    assert transcript.count("> PATCH ") == 1, transcript
    assert "> Content-Range: 0-0" in transcript or "> content-range: 0-0" in transcript
    assert transcript.count("> POST ") == 1  # only the minimal example's exchanges, not earlier ones


def test_a_dropped_last_tag_shrinks_to_one_tag_and_n_3(runs: tuple[Results, Results]) -> None:
    check = runs[1][TAG_PAGES]
    assert check["outcome"] == "failed"
    drawn = re.search(r"tags = \[(?P<tags>[^\]]*)\]\n\s+n = (?P<n>\d+)", check["message"])
    assert drawn is not None, check["message"]
    assert int(drawn["n"]) == 3 and drawn["tags"].count(",") == 0, drawn.group(0)
    assert "tags/list?n=3" in check["transcript"]


def test_an_ignored_tag_delete_shrinks_to_push_then_delete(runs: tuple[Results, Results]) -> None:
    check = runs[1][MACHINE]
    assert check["outcome"] == "failed"
    steps = re.findall(r"^    (\S.*)$", check["message"].split("steps = ", 1)[1], re.MULTILINE)
    rules = [line for line in steps if not line.startswith(("FAILED", "->"))]
    # The writes shrink to exactly "push by tag, delete the tag". Read-only "list tags" steps before them
    # change nothing and were seen to survive shrinking once in a full CI run (not reproduced alone), so
    # they are allowed; every other kind of step is not.
    writes = [line for line in rules if not line.startswith("list tags")]
    assert len(writes) == 2 and writes[1].startswith("delete tag"), steps
    assert writes[0].startswith(("push manifest", "tag ")), steps
    assert rules[-1].startswith("delete tag"), steps
    message = check["message"]
    assert "expected 404" in message or "still lists ['0']" in message.replace('"', "'"), message
    assert "> DELETE " in check["transcript"]
