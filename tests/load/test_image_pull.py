"""Client-like image pulls against the bundled reference server: index -> platform manifest -> config ->
layers, `--layer-concurrency` downloads at once (seen from outside, through a counting proxy), content
the simulated node holds skipped, and the whole-image pull time as its own row with p50/p95/p99."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.registries import RegistryProcess, start_reference_server
from tests.load.counting_proxy import counting_proxy
from tests.load.locust_runs import run_locust

SMALL = ("--blob-sizes", "256KiB:1", "--verify-share", "1", "--request-timeout", "30")
INDEX = "application/vnd.oci.image.index.v1+json"


@pytest.fixture(scope="module")
def registry() -> Iterator[RegistryProcess]:
    """The bundled reference server for this module's runs."""
    with start_reference_server() as process:
        yield process


def rows(summary: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The summary's stats rows by (type, name)."""
    return {(row["type"], row["name"]): row for row in summary["requests"]}


@pytest.mark.parametrize("concurrency", [1, 3])
def test_layers_download_concurrently_per_image(tmp_path: Path, registry: RegistryProcess,
                                                concurrency: int) -> None:
    # one user, 6 layers: the user's keep-alive pool opens a new connection only while the others are
    # busy, so the connections the proxy saw are the most requests that user had in flight at once
    with counting_proxy(registry.url) as (url, counts):
        run = run_locust(tmp_path, "--host", url, "-u", "1", "-r", "1", "-t", "3s", *SMALL, "--layers", "6",
                         "--pull-images", "1", "--layer-concurrency", str(concurrency), "PullStorm")
    assert run.returncode == 0, run.output
    summary = run.summary
    assert summary["http"]["failures"] == 0, run.output
    pulls = summary["image_pulls"]["image pull (storm)"]
    assert pulls["count"] >= 3 and pulls["failures"] == 0
    assert counts.accepted == concurrency, (counts.accepted, counts.peak)
    assert counts.peak == concurrency


def test_pull_resolves_index_to_platform_manifest_and_skips_held_content(
        tmp_path: Path, registry: RegistryProcess) -> None:
    layers = 3
    run = run_locust(tmp_path, "--host", registry.url, "-u", "1", "-r", "1", "-t", "4s", *SMALL, "--layers",
                     str(layers), "--pull-images", "2", "--repo-prefix", "pull-index", "ImagePull")
    assert run.returncode == 0, run.output
    summary = run.summary
    assert summary["http"]["failures"] == 0 and summary["error_codes"] == {}, run.output
    table = rows(summary)
    pulls = summary["image_pulls"]["image pull"]
    assert pulls["count"] >= 10, pulls
    assert set(pulls) == {"count", "failures", "avg_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms"}
    assert 0 < pulls["p50_ms"] <= pulls["p95_ms"] <= pulls["p99_ms"] <= pulls["max_ms"] + 1
    # the seeded tags are indexes listing linux/amd64 and linux/arm64 images
    tags = [entry for entry in run.ledger_entries() if entry["kind"] == "manifest"]
    with httpx.Client(base_url=registry.url, timeout=10.0) as client:
        listed = client.get("/v2/pull-index/repo/tags/list").json()["tags"]
        index = client.get(f"/v2/pull-index/repo/manifests/{listed[0]}", headers={"Accept": INDEX}).json()
    assert index["mediaType"] == INDEX
    assert [entry["platform"]["architecture"] for entry in index["manifests"]] == ["amd64", "arm64"]
    assert len(tags) == 2 * 3  # 2 indexes, each with 2 platform manifests
    # a node pulls each distinct image of the set once per forgetting cycle: its config once, and layers
    # base + 2 + 2 = 5 instead of 6; a re-pull of a held image fetches nothing (not even its manifests)
    configs = table[("GET", "/v2/[repo]/blobs/[digest] (config)")]["count"]
    assert 8 <= configs <= pulls["count"] + 1, (configs, pulls["count"])
    layer_gets = table[("XFER", "blob GET")]["count"]
    assert layer_gets <= 2.5 * configs + layers, (layer_gets, configs)  # 3 per config without skipping
    manifest_gets = table[("GET", "/v2/[repo]/manifests/[ref]")]["count"]
    assert manifest_gets <= 2 * configs + 2, (manifest_gets, configs)  # index + platform manifest
    assert table[("HEAD", "/v2/[repo]/manifests/[ref]")]["count"] >= pulls["count"]  # every pull resolves
    assert "registry-harness-image-pulls" in (run.run_dir / "report.html").read_text()
    assert "image pull: " in run.stdout and "p99" in run.stdout


def test_arm64_pull_picks_the_arm64_manifest(tmp_path: Path, registry: RegistryProcess) -> None:
    run = run_locust(tmp_path, "--host", registry.url, "-u", "1", "-r", "1", "-t", "2s", *SMALL,
                     "--layers", "2", "--platform", "linux/arm64", "--repo-prefix", "pull-arm", "PullStorm")
    assert run.returncode == 0, run.output
    summary = run.summary
    assert summary["http"]["failures"] == 0 and summary["error_codes"] == {}, run.output
    assert summary["image_pulls"]["image pull (storm)"]["count"] > 0


def test_a_platform_the_index_lacks_fails_the_pull(tmp_path: Path, registry: RegistryProcess) -> None:
    run = run_locust(tmp_path, "--host", registry.url, "-u", "1", "-r", "1", "-t", "2s", *SMALL,
                     "--layers", "2", "--platform", "linux/s390x", "--repo-prefix", "pull-s390x", "PullStorm")
    summary = run.summary
    pulls = summary["image_pulls"]["image pull (storm)"]
    assert pulls["count"] > 0 and pulls["failures"] == pulls["count"], pulls
    assert summary["error_codes"].get("NO_MATCHING_PLATFORM") == pulls["count"]
    assert ("XFER", "blob GET") not in rows(summary), "no layer is fetched without a manifest"


def test_pull_storm_with_spike_shape_reports_image_pull_time(tmp_path: Path,
                                                             registry: RegistryProcess) -> None:
    run = run_locust(tmp_path, "--host", registry.url, *SMALL, "--layers", "3", "--shape", "spike",
                     "--shape-users", "8", "--shape-seconds", "5", "--repo-prefix", "spike", "PullStorm")
    assert run.returncode == 0, run.output
    summary = run.summary
    assert summary["http"]["failures"] == 0, run.output
    storm = summary["image_pulls"]["image pull (storm)"]
    assert storm["count"] > 0 and storm["failures"] == 0
    assert max(sample["users"] for sample in summary["users"]) == 8
    table = rows(summary)
    # nothing is held in a storm: every pull fetches every layer (pulls cut by the stop add a few)
    assert 3 * storm["count"] <= table[("XFER", "blob GET")]["count"] <= 3 * (storm["count"] + 8)
