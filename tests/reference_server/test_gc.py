"""Offline garbage collection (python -m reference_server gc) on a data directory a real server filled."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conformance.registries import start_reference_server
from tests.reference_server.registry_client import Registry, sha256


def run_gc(data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reference_server", "gc", "--data-dir", str(data_dir), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_gc_removes_only_unlinked_content(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    process = start_reference_server(data_dir=data_dir)
    registry = Registry(process)
    try:
        kept = registry.push_image("gc/app", "v1")
        orphan = registry.push_blob("gc/app", b"orphan blob")
        registry.client.delete(f"/v2/gc/app/blobs/{orphan}")
        shared = registry.push_blob("gc/app", b"shared blob")
        registry.push_blob("gc/other", b"shared blob")
        registry.client.delete(f"/v2/gc/app/blobs/{shared}")
    finally:
        registry.close()
        process.stop()
    dry = run_gc(data_dir, "--dry-run")
    assert dry.returncode == 0
    assert f"would delete {orphan}" in dry.stdout
    assert (data_dir / "blobs" / "sha256" / orphan[7:9] / orphan[7:]).exists()
    real = run_gc(data_dir)
    assert real.returncode == 0, real.stdout
    assert not (data_dir / "blobs" / "sha256" / orphan[7:9] / orphan[7:]).exists()
    for digest in (kept.digest, sha256(kept.config), shared):
        assert (data_dir / "blobs" / "sha256" / digest[7:9] / digest[7:]).exists(), digest


def test_gc_refuses_a_directory_that_is_not_a_data_dir(tmp_path: Path) -> None:
    result = run_gc(tmp_path)
    assert result.returncode == 2
    assert "not a reference_server data directory" in result.stdout
