"""A registry whose tag lists lag its writes is no non-conformant registry when given time (issue 13).

Behind `LaggingTagLists` (a tag pushed by a manifest PUT is left out of `tags/list` answers for `LAG`
seconds after its PUT; a deleted tag stays listed for `LAG` seconds after its DELETE, the way an
object-store-backed registry's listing can trail its writes) the real suite's tag-list modules pass with
nothing failed under `--registry-settle-time 5`, and results.json's `settle` block shows the lag (about
`LAG` seconds); the control run, the same with settle time 0, fails the tag checks, so the rig really lags
and the polling is what makes the first run pass.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from conformance.registries import start_reference_server
from tests.conformance.broken.faults import MANIFEST, TAGS
from tests.conformance.broken.proxy import Exchange, Fault, FaultProxy
from tests.conformance.broken.suite_runs import run_suite

MODULES = ["test_tags.py", "test_deletes.py", "test_catalog.py"]
LAG = 2.0
SETTLE = 5.0
DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")


class LaggingTagLists(Fault):
    """`tags/list` answers trail the writes by `lag` seconds: new tags hidden, deleted tags still listed.

    Every other answer (manifests by tag included) is the registry's own: only the listing lags. A tag's
    digest is remembered from its PUT, so a DELETE by digest makes each tag that pointed to it linger.
    When the registry already answers 404 for a repository whose lingering tags are all deleted, the
    stale view is served as 200 with those tags.
    """

    name = "lagging-tag-lists"

    def __init__(self, lag: float = LAG) -> None:
        self.lag = lag
        self.lock = threading.Lock()
        self.pushed: dict[tuple[str, str], float] = {}
        self.deleted: dict[tuple[str, str], float] = {}
        self.points_to: dict[tuple[str, str], str] = {}
        self.edited = 0

    def on_response(self, exchange: Exchange) -> None:
        now = time.monotonic()
        manifest, tags = MANIFEST.match(exchange.path), TAGS.match(exchange.path)
        with self.lock:
            if manifest and exchange.method == "PUT" and exchange.status == 201:
                self._pushed(exchange, manifest["name"], manifest["reference"], now)
            elif manifest and exchange.method == "DELETE" and exchange.status == 202:
                self._deleted(manifest["name"], manifest["reference"], now)
            elif tags and exchange.method == "GET" and exchange.status in (200, 404):
                self._stale_view(exchange, tags["name"], now)

    def _pushed(self, exchange: Exchange, repo: str, reference: str, now: float) -> None:
        digest = exchange.header("docker-content-digest") or (
            "sha256:" + hashlib.sha256(exchange.request_body).hexdigest())
        names = [value for key, value in parse_qsl(exchange.query) if key == "tag"]
        if not DIGEST.match(reference):
            names.append(reference)
        for tag in names:
            key = (repo, tag)
            if key not in self.points_to:  # a new tag (a moved one was listed already)
                self.pushed[key] = now
            self.deleted.pop(key, None)
            self.points_to[key] = digest

    def _deleted(self, repo: str, reference: str, now: float) -> None:
        if DIGEST.match(reference):
            keys = [key for key, digest in self.points_to.items() if key[0] == repo and digest == reference]
        else:
            keys = [(repo, reference)] if (repo, reference) in self.points_to else []
        for key in keys:
            del self.points_to[key]
            self.pushed.pop(key, None)
            self.deleted[key] = now

    def _stale_view(self, exchange: Exchange, repo: str, now: float) -> None:
        def recent(events: dict[tuple[str, str], float]) -> set[str]:
            return {tag for (name, tag), when in events.items() if name == repo and now - when < self.lag}

        hidden, lingering = recent(self.pushed), recent(self.deleted)
        if not hidden and not lingering:
            return
        if exchange.status == 404:
            if not lingering:
                return
            document: dict[str, object] = {"name": repo, "tags": []}
            exchange.status = 200
            exchange.set_header("Content-Type", "application/json")
        else:
            document = json.loads(exchange.body)
        listed = [str(tag) for tag in document.get("tags") or []]  # type: ignore[attr-defined]
        document["tags"] = sorted((set(listed) - hidden) | lingering)
        exchange.body = json.dumps(document).encode()
        self.edited += 1


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
