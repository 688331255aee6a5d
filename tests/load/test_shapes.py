"""Load shapes chosen by option: the run follows the shape's user counts and ends when the shape ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.registries import RegistryProcess, start_reference_server
from tests.load.locust_runs import run_locust

ARGS = ("--blob-sizes", "64KiB:1", "BlobPushMonolithic")


@pytest.fixture(scope="module")
def registry() -> Iterator[RegistryProcess]:
    """The bundled reference server for this module's runs."""
    with start_reference_server() as process:
        yield process


def user_counts(summary: dict[str, object]) -> list[int]:
    samples = summary["users"]
    assert isinstance(samples, list)
    return [int(sample["users"]) for sample in samples]


def test_step_shape_climbs_to_the_peak_and_stops_by_itself(tmp_path: Path, registry: RegistryProcess) -> None:
    run = run_locust(tmp_path, "--host", registry.url, "--shape", "step", "--shape-users", "2",
                     "--shape-seconds", "4", "--step-count", "2", *ARGS)
    assert run.returncode == 0, run.output
    counts = user_counts(run.summary)
    assert counts == sorted(counts), counts
    assert counts[-1] == 2 and len(set(counts)) >= 2, counts
    assert run.summary["run"]["duration_s"] < 15


def test_spike_shape_jumps_and_falls_back(tmp_path: Path, registry: RegistryProcess) -> None:
    run = run_locust(tmp_path, "--host", registry.url, "--shape", "spike", "--shape-users", "10",
                     "--shape-seconds", "5", *ARGS)
    assert run.returncode == 0, run.output
    counts = user_counts(run.summary)
    peak = counts.index(max(counts))
    assert max(counts) == 10, counts
    assert counts[0] == 1 and counts[-1] == 1 and 0 < peak < len(counts) - 1, counts
