"""Helpers for the load package's tests: run Locust as a subprocess, check pushes against the registry.

Locust is always run as a separate process (`python -m locust -f load/locustfile.py ...`), so gevent's
monkey-patching never enters the pytest process. Every run is bounded by `-t` and a subprocess timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = REPO_ROOT / "load" / "locustfile.py"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


@dataclass
class LocustRun:
    """The outcome of one Locust subprocess: exit code, output, and the run folder it wrote."""

    returncode: int
    stdout: str
    stderr: str
    run_dir: Path
    ledger: Path

    @property
    def output(self) -> str:
        """stdout and stderr together, for assertion messages."""
        return f"--- stdout ---\n{self.stdout[-6000:]}\n--- stderr ---\n{self.stderr[-6000:]}"

    @property
    def summary(self) -> dict[str, Any]:
        """The JSON summary the run wrote."""
        path = self.run_dir / "summary.json"
        assert path.is_file(), f"no summary.json in {self.run_dir}\n{self.output}"
        document: dict[str, Any] = json.loads(path.read_text())
        return document

    def ledger_entries(self) -> list[dict[str, Any]]:
        """One dict per push the registry acknowledged (written by the users with --ledger)."""
        if not self.ledger.exists():
            return []
        return [json.loads(line) for line in self.ledger.read_text().splitlines() if line.strip()]


def run_locust(tmp_path: Path, *args: str, timeout: float = 120.0, env: dict[str, str] | None = None,
               name: str = "run") -> LocustRun:
    """Run `locust -f load/locustfile.py --headless` with `args`, writing its reports under `tmp_path`."""
    run_dir = tmp_path / name
    ledger = tmp_path / f"{name}.ledger.jsonl"
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
            "--run-dir", str(run_dir), "--ledger", str(ledger), *args]
    completed = subprocess.run(
        argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    return LocustRun(completed.returncode, completed.stdout, completed.stderr, run_dir, ledger)


def assert_stored(url: str, entries: list[dict[str, Any]]) -> None:
    """Every acknowledged push is on the registry with the size that was pushed."""
    with httpx.Client(base_url=url, timeout=10.0) as client:
        for entry in entries:
            kind = "manifests" if entry["kind"] == "manifest" else "blobs"
            response = client.head(f"/v2/{entry['repository']}/{kind}/{entry['digest']}",
                                   headers={"Accept": OCI_MANIFEST})
            assert response.status_code == 200, f"{entry} not stored: HEAD answered {response.status_code}"
            assert int(response.headers["Content-Length"]) == entry["size"], entry
