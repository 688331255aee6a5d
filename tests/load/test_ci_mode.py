"""Headless CI mode: thresholds from a TOML file; a breach exits 3 and names each breach on its own line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.registries import RegistryProcess, start_reference_server
from tests.load.locust_runs import run_locust

ARGS = ("-u", "2", "-r", "2", "-t", "2s", "--blob-sizes", "256KiB:1", "BlobPushMonolithic")


@pytest.fixture(scope="module")
def registry() -> Iterator[RegistryProcess]:
    """The bundled reference server for this module's runs."""
    with start_reference_server() as process:
        yield process


def test_breach_exits_nonzero_and_names_each_breach(tmp_path: Path, registry: RegistryProcess) -> None:
    thresholds = tmp_path / "strict.toml"
    thresholds.write_text(
        "max_fail_ratio = 0\nmax_digest_mismatches = 0\n"
        '[max_p95_ms]\n"OP push blob (monolithic)" = 0.001\n'
        "[min_mb_s]\nBlobPushMonolithic = { up = 1000000 }\nBlobPull = { down = 1 }\n"
    )
    run = run_locust(tmp_path, "--host", registry.url, "--thresholds", str(thresholds), *ARGS)
    assert run.returncode == 3, run.output
    lines = [line for line in run.stdout.splitlines() if line.startswith("THRESHOLD BREACH: ")]
    assert len(lines) == 3, run.output
    assert any("p95 of 'OP push blob (monolithic)'" in line and "> max 0.001 ms" in line for line in lines)
    assert any("MB/s up of BlobPushMonolithic" in line and "< min 1e+06" in line for line in lines)
    assert any("MB/s down of BlobPull: scenario not in this run" in line for line in lines)
    summary = json.loads((run.run_dir / "summary.json").read_text())
    assert [f"THRESHOLD BREACH: {b}" for b in summary["breaches"]] == lines


def test_thresholds_met_exit_zero(tmp_path: Path, registry: RegistryProcess) -> None:
    thresholds = tmp_path / "lenient.toml"
    thresholds.write_text(
        "max_fail_ratio = 0\nmax_digest_mismatches = 0\n"
        '[max_p95_ms]\n"OP push blob (monolithic)" = 60000\n'
        "[min_mb_s]\nBlobPushMonolithic = { up = 0.1 }\n"
    )
    run = run_locust(tmp_path, "--host", registry.url, "--thresholds", str(thresholds), *ARGS)
    assert run.returncode == 0, run.output
    assert "THRESHOLD BREACH" not in run.stdout
    assert run.summary["breaches"] == []


def test_unreadable_thresholds_file_is_a_clear_error(tmp_path: Path, registry: RegistryProcess) -> None:
    thresholds = tmp_path / "typo.toml"
    thresholds.write_text("max_fail_rate = 0\n")
    run = run_locust(tmp_path, "--host", registry.url, "--thresholds", str(thresholds), *ARGS)
    assert run.returncode == 2
    assert "unknown keys ['max_fail_rate']" in run.stderr
