"""Running property checks of the REAL suite as a subprocess and reading their results.json entries.

The Hypothesis example database goes to a directory the caller gives (`REGISTRY_HARNESS_HYPOTHESIS_DB`), so
self-tests neither read nor pollute `reports/hypothesis/`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
SUITES = REPO_ROOT / "conformance" / "suites"
RUN_BOUND = 120.0


def run_checks(url: str, node_ids: list[str], directory: Path, *extra: str) -> dict[str, dict[str, Any]]:
    """Run checks `node_ids` (relative to conformance/suites) against `url`; results.json entries by name."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("OCI_", "REGISTRY_HARNESS_", "PYTEST_"))}
    env["REGISTRY_HARNESS_HYPOTHESIS_DB"] = str(directory / "hypothesis-db")
    report_dir = directory / "report"
    command = [sys.executable, "-m", "pytest", *(str(SUITES / node) for node in node_ids), "-q",
               "-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:xdist", "--registry-url", url,
               "--registry-report-dir", str(report_dir), "--registry-timeout", "10", *extra]
    completed = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                               timeout=RUN_BOUND, check=False)
    results = report_dir / "results.json"
    if not results.is_file():
        raise AssertionError(f"no results.json (exit {completed.returncode}):\n{completed.stdout[-4000:]}"
                             f"\n{completed.stderr[-2000:]}")
    return {check["name"]: check for check in json.loads(results.read_text())["checks"]}
