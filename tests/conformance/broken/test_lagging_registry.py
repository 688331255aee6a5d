"""A registry whose tag lists lag its writes is no non-conformant registry when given time (issue 13).

Behind `LaggingTagLists` (a tag pushed by a manifest PUT is left out of `tags/list` answers for `LAG`
seconds after its PUT; a deleted tag stays listed for `LAG` seconds after its DELETE, the way an
object-store-backed registry's listing can trail its writes) the real suite's tag-list modules pass with
nothing failed under `--registry-settle-time 5`, and results.json's `settle` block shows the lag (about
`LAG` seconds); the control run, the same with settle time 0, fails the tag checks, so the rig really lags
and the polling is what makes the first run pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.registries import start_reference_server
from tests.conformance.broken.hosted_faults import LAG, LaggingTagLists
from tests.conformance.broken.proxy import FaultProxy
from tests.conformance.broken.suite_runs import run_suite

MODULES = ["test_tags.py", "test_deletes.py", "test_catalog.py"]
SETTLE = 5.0


@pytest.fixture
def lagging() -> Iterator[tuple[FaultProxy, LaggingTagLists]]:
    fault = LaggingTagLists()
    with start_reference_server() as upstream, FaultProxy(upstream.url, [fault]) as proxy:
        yield proxy, fault


def test_the_tag_checks_pass_with_a_settle_time_and_report_the_lag(
    lagging: tuple[FaultProxy, LaggingTagLists], tmp_path: Path
) -> None:
    proxy, fault = lagging
    run = run_suite(proxy.url, MODULES, tmp_path / "run", timeout=30.0, bound=300.0,
                    extra_args=["--registry-settle-time", str(SETTLE)])
    counts = run.results["counts"]
    assert counts["failed"] == counts["error"] == counts["warned"] == 0, run.failed
    assert counts["passed"] >= 15
    assert fault.edited > 5  # the rig did lag what the suite read
    block = run.results["settle"]
    assert block["settle_time_seconds"] == SETTLE
    tags = block["kinds"]["tags"]
    assert tags["polled"] >= 8 and tags["unsettled"] == 0 and tags["polls"] >= tags["polled"]
    assert LAG * 0.75 <= tags["median_lag_seconds"] <= tags["max_lag_seconds"] < SETTLE
    assert len(tags["lags_seconds"]) == tags["polled"]
    assert run.results["config"]["settle_time_seconds"] == SETTLE
    notes = " ".join(run.results["notes"])
    assert "list lag (settle time 5 s): tags" in notes and "a lag is no non-conformance" in notes
    check = run.checks["test_tags.py::test_tag_list_names_the_repository_and_every_tag_in_order"]
    assert any("showed the write" in item for item in check["notes"]), check["notes"]


def test_without_a_settle_time_the_same_registry_fails_the_tag_checks(
    lagging: tuple[FaultProxy, LaggingTagLists], tmp_path: Path
) -> None:
    proxy, _ = lagging
    run = run_suite(proxy.url, MODULES, tmp_path / "run", timeout=30.0, bound=300.0)
    failed = run.failed
    assert run.results["counts"]["error"] == 0, failed  # failures of the registry, not harness errors
    assert "test_tags.py::test_tag_list_names_the_repository_and_every_tag_in_order" in failed, run.outcomes
    assert "test_deletes.py::test_tag_delete_removes_only_that_tag" in failed, run.outcomes
    assert len([key for key in failed if key.startswith("test_tags.py")]) >= 4, failed
    tags = run.results["settle"]["kinds"]["tags"]
    assert tags["polls"] == tags["polled"] == 0 and tags["unsettled"] >= 5
    assert "--registry-settle-time SECONDS" in " ".join(run.results["notes"])
