"""Every scenario runs headless for a few seconds against the bundled reference server; its numbers add up.

Checks per run: exit 0, no failed HTTP request, operations completed, no digest mismatch, every push the
users recorded in the ledger is on the registry with its size, the summary's committed bytes equal the
ledger's, uploaded bytes equal committed bytes (up to uploads cut short when the run stopped), and the
downloaded bytes equal what the stats rows say was read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.registries import RegistryProcess, start_reference_server
from tests.load.locust_runs import LocustRun, assert_stored, run_locust

SMALL = ("--blob-sizes", "256KiB:1,1MiB:1", "--layers", "2", "--chunk-size", "128KiB",
         "--range-size", "100KiB", "--verify-share", "1", "--pull-images", "2")
MAX_BLOB = 1024 * 1024
USERS = 3
PULLING = {"BlobPull", "ImagePull", "PullStorm", "MetadataMix", "CIMix"}


@pytest.fixture(scope="module")
def registry() -> Iterator[RegistryProcess]:
    """The bundled reference server for this module's runs."""
    with start_reference_server() as process:
        yield process


def downloaded_by_rows(summary: dict[str, Any]) -> int:
    """Body bytes the stats rows account for: XFER rows (full blob reads) and every non-blob GET."""
    return sum(
        row["response_bytes"] for row in summary["requests"]
        if row["type"] == "XFER" or (row["type"] == "GET" and row["name"] != "/v2/[repo]/blobs/[digest]")
    )


def check_consistent(run: LocustRun, url: str, scenario: str) -> dict[str, Any]:
    assert run.returncode == 0, run.output
    summary = run.summary
    assert summary["http"]["requests"] > 0 and summary["http"]["failures"] == 0, run.output
    assert summary["digest_mismatches"] == 0
    assert summary["error_codes"] == {}
    assert summary["scenarios"][scenario]["operations"] > 0, summary["scenarios"]
    entries = run.ledger_entries()
    assert entries, "nothing was pushed (every scenario pushes, at least while seeding)"
    assert_stored(url, entries)
    pushed = sum(entry["size"] for entry in entries)
    assert summary["committed"]["bytes"] == pushed
    assert summary["committed"]["blobs_and_manifests"] == len(entries)
    up = summary["total"]["bytes_up"]
    assert pushed <= up <= pushed + USERS * MAX_BLOB, (up, pushed)
    down = summary["total"]["bytes_down"]
    by_rows = downloaded_by_rows(summary)
    assert by_rows <= down <= by_rows + USERS * MAX_BLOB, (down, by_rows)
    if scenario in PULLING:
        assert summary["scenarios"][scenario]["bytes_down"] > 0
    return summary


@pytest.mark.parametrize("scenario", [
    "BlobPushMonolithic", "BlobPushChunked", "BlobPull", "ImagePush", "ImagePull", "PullStorm", "MetadataMix",
    "CIMix", "BlobHead",
])
def test_scenario_runs_and_its_numbers_add_up(tmp_path: Path, registry: RegistryProcess,
                                              scenario: str) -> None:
    run = run_locust(tmp_path, "--host", registry.url, "-u", str(USERS), "-r", str(USERS), "-t", "2s",
                     *SMALL, scenario)
    summary = check_consistent(run, registry.url, scenario)
    if scenario == "BlobPushMonolithic":  # whole-body PUTs: every byte sent was committed
        assert summary["total"]["bytes_up"] == summary["committed"]["bytes"]
    if scenario == "BlobPull":
        names = {(row["type"], row["name"]) for row in summary["requests"]}
        assert {("TTFB", "blob GET"), ("XFER", "blob GET"), ("OP", "pull blob"),
                ("GET", "/v2/[repo]/blobs/[digest] Range")} <= names
    for name in ("summary.json", "ci-cd.json", "report.html", "requests.csv", "throughput.csv", "latency.csv",
                 "throughput.png", "latency.png"):
        assert (run.run_dir / name).stat().st_size > 0, name
    assert "registry-harness-throughput" in (run.run_dir / "report.html").read_text()


def test_selection_by_tag_runs_only_tagged_scenarios(tmp_path: Path, registry: RegistryProcess) -> None:
    run = run_locust(tmp_path, "--host", registry.url, "-u", "2", "-r", "2", "-t", "2s", *SMALL,
                     "--tags", "blob-push-chunked")
    summary = check_consistent(run, registry.url, "BlobPushChunked")
    assert summary["run"]["user_classes"] == ["BlobPushChunked"]


def test_distributed_run_aggregates_worker_bytes(tmp_path: Path, registry: RegistryProcess) -> None:
    run = run_locust(tmp_path, "--host", registry.url, "--processes", "2", "-u", "4", "-r", "4", "-t", "5s",
                     *SMALL, "--repos", "3", "BlobPushMonolithic", "BlobPull", timeout=150)
    summary = check_consistent(run, registry.url, "BlobPushMonolithic")
    assert summary["run"]["workers"] == 2
    assert len({entry["pid"] for entry in run.ledger_entries()}) == 2, "both workers pushed"
    assert summary["total"]["bytes_up"] == summary["committed"]["bytes"]
    assert summary["scenarios"]["BlobPull"]["bytes_down"] > 0
    assert {entry["repository"] for entry in run.ledger_entries()} <= {f"load/repo-{i}" for i in range(3)}


def test_without_host_the_bundled_server_is_started_and_stopped(tmp_path: Path) -> None:
    run = run_locust(tmp_path, "-u", "1", "-r", "1", "-t", "2s", *SMALL, "BlobPushMonolithic")
    assert run.returncode == 0, run.output
    host = run.summary["run"]["host"]
    assert host.startswith("http://127.0.0.1:") and run.summary["run"]["bundled_target"] == "reference"
    assert run.summary["scenarios"]["BlobPushMonolithic"]["operations"] > 0
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{host}/v2/", timeout=2.0)


def test_bad_options_exit_with_a_message(tmp_path: Path, registry: RegistryProcess) -> None:
    run = run_locust(tmp_path, "--host", registry.url, "-t", "1s", "--blob-sizes", "lots")
    assert run.returncode == 2
    assert "--blob-sizes" in run.stderr
    run = run_locust(tmp_path, "--host", "http://192.0.2.1:5000", "-t", "1s")
    assert run.returncode == 2
    assert "not on loopback" in run.stderr
