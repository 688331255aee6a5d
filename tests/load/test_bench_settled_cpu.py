"""`load.bench_settled_cpu`: one push at a time on a settled machine, server CPU per push scaled to 256 MiB.

Real pushes to the bundled reference server on loopback; the figures' arithmetic and rendering on
constructed data. Nothing here asserts speed.
"""

from __future__ import annotations

import http.client
import urllib.parse
from collections.abc import Iterator

import pytest

from conformance.registries import RegistryProcess, start_reference_server
from load.bench_cpu import CLOCK_TICKS
from load.bench_payload import BlobPool
from load.bench_settled_cpu import REFERENCE, REPO, SettledPushCpu, SettledRun, measure

SIZE = 64 << 20


@pytest.fixture(scope="module")
def server() -> Iterator[RegistryProcess]:
    registry = start_reference_server()
    try:
        yield registry
    finally:
        registry.stop()


def _status_of_blob(registry: RegistryProcess, digest: str) -> int:
    parts = urllib.parse.urlsplit(registry.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request("HEAD", f"/v2/{REPO}/blobs/{digest}")
        return connection.getresponse().status
    finally:
        connection.close()


def test_each_push_is_charged_the_server_cpu_scaled_to_256_mib_and_cleaned_up(
        server: RegistryProcess) -> None:
    pool = BlobPool(SIZE)
    run = measure({"ours": server}, pool, SIZE, pushes=3, drop_page_cache=False)
    result = run.results["ours"]
    assert result.failures == []
    assert len(result.user) == len(result.system) == 3
    # hashing 64 MiB alone takes tens of milliseconds: every push was charged some server CPU
    assert all(total > 0 for total in result.totals)
    tick_scaled = REFERENCE / SIZE / CLOCK_TICKS  # one clock tick of the server, scaled to 256 MiB
    for seconds in (*result.user, *result.system):
        assert seconds / tick_scaled == pytest.approx(round(seconds / tick_scaled), abs=1e-6)
    assert run.dropped is False and run.size == SIZE and run.pushes == 3
    # the benchmark's blobs are deleted afterwards (the bundled server deletes on request)
    assert len(set(result.digests)) == 3
    assert [_status_of_blob(server, digest) for digest in result.digests] == [404, 404, 404]


def test_a_registry_that_cannot_be_reached_is_a_failure_not_a_figure() -> None:
    gone = start_reference_server()
    gone.stop()
    run = measure({"gone": gone}, BlobPool(1 << 20), 1 << 20, pushes=2, drop_page_cache=False)
    result = run.results["gone"]
    assert result.totals == [] and result.median is None
    assert len(result.failures) == 2 and result.failures[0].startswith("push 1: ")
    assert run.failures() == [f"gone settled push CPU: {line}" for line in result.failures]
    assert run.target_figures("gone", "gone") is None
    assert "no push succeeded" in run.render("gone", "gone")


Pairs = list[tuple[float, float]]


def _run(ours: Pairs, theirs: Pairs, dropped: bool = True) -> SettledRun:
    results = {}
    for name, pairs in (("ours", ours), ("distribution", theirs)):
        result = SettledPushCpu(name, REFERENCE)
        result.user = [user for user, _ in pairs]
        result.system = [system for _, system in pairs]
        results[name] = result
    return SettledRun(REFERENCE, len(ours), results, dropped)


def test_medians_ratio_and_rendering() -> None:
    run = _run([(0.17, 0.09), (0.15, 0.10), (0.20, 0.12)], [(0.6, 0.3), (0.7, 0.4), (0.58, 0.28)])
    assert run.results["ours"].median == pytest.approx(0.26)
    assert run.results["distribution"].median == pytest.approx(0.9)
    assert run.ratio("ours", "distribution") == pytest.approx(0.9 / 0.26)
    figures = run.target_figures("ours", "distribution")
    assert figures is not None
    assert figures[0] == pytest.approx(0.26) and figures[1] == pytest.approx(0.9 / 0.26)
    text = run.render("ours", "distribution")
    assert "ours: median 0.260 s (user 0.170 + system 0.100), range 0.250-0.320 s over 3 pushes" in text
    assert "ratio distribution / ours: 3.46x less" in text
    assert "could not be dropped" not in text
    document = run.as_json("ours", "distribution")
    assert document["ratio"] == 3.46 and document["page_cache_dropped"] is True
    assert document["ours"] == {
        "size": REFERENCE, "pushes": 3, "seconds": [0.26, 0.25, 0.32], "user": [0.17, 0.15, 0.2],
        "system": [0.09, 0.1, 0.12], "median": 0.26, "median_user": 0.17, "median_system": 0.1,
        "failures": [], "digests": [],
    }


def test_without_a_page_cache_drop_the_output_says_the_figures_include_its_growth() -> None:
    run = _run([(0.2, 0.8)], [(0.7, 1.2)], dropped=False)
    assert "could not be dropped before every push" in run.render("ours", "distribution")
    assert run.as_json("ours", "distribution")["page_cache_dropped"] is False
