"""A reproducible run of the WHOLE conformance suite against a real registry (distribution), read back.

    with start_distribution() as registry:  # stopped, its data removed, on leaving
        run = run_full_suite(registry.url, tmp_path / "report")
    run.checks            # {check id: its results.json entry}

The run is `python -m pytest conformance --registry-url URL` in a subprocess from the repository root,
made reproducible: no cache provider, pytest-randomly off (fixed order), one process (pytest-xdist off:
two workers were slower on the 2-core machine and gain nothing), Hypothesis seeded with
`--hypothesis-seed=0` and without its example database (a replayed failure from an earlier run would
change what a property check sees), the registry-default profile (by its environment variable), and an
environment without other OCI_*, REGISTRY_HARNESS_*, PYTEST_* variables and with an empty docker config (no
credentials reach the run).
results.json is validated (`conformance.reporting.validation`) before it is used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.reporting.validation import validate_results

REPO_ROOT = Path(__file__).resolve().parents[3]
HYPOTHESIS_SEED = "0"
RUN_BOUND = 540.0
"""Seconds the whole run may take before it is killed (about 2 minutes on a loaded 2-core machine)."""


def suite_command(url: str, report_dir: Path, extra_args: tuple[str, ...] = ()) -> list[str]:
    """The command line of the run (`extra_args` appended)."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "conformance",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-p",
        "no:xdist",
        f"--hypothesis-seed={HYPOTHESIS_SEED}",
        "--registry-url",
        url,
        "--registry-report-dir",
        str(report_dir),
        *extra_args,
    ]


def suite_environment(docker_config: Path) -> dict[str, str]:
    """The environment of the run: ours without the harness's variables, no example database, no creds."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OCI_", "REGISTRY_HARNESS_", "PYTEST_")) and key != "DOCKER_CONFIG"
    }
    env["REGISTRY_HARNESS_HYPOTHESIS_DB"] = "none"
    env["REGISTRY_HARNESS_HYPOTHESIS_PROFILE"] = "registry-default"
    env["DOCKER_CONFIG"] = str(docker_config)
    return env


@dataclass
class SuiteRun:
    """What the run produced: exit status, time taken, the tail of its output and results.json."""

    returncode: int
    elapsed: float
    output: str
    results: dict[str, Any]
    results_path: Path

    @property
    def checks(self) -> dict[str, dict[str, Any]]:
        """results.json check entries by check id (`test_module.py::test_name[params]`)."""
        checks = self.results["checks"]
        return {check["nodeid"].split("conformance/suites/", 1)[-1]: check for check in checks}


def run_full_suite(
    url: str, report_dir: Path, *, bound: float = RUN_BOUND, extra_args: tuple[str, ...] = ()
) -> SuiteRun:
    """Run the whole suite against `url`; raise AssertionError when it wrote no valid results.json."""
    with tempfile.TemporaryDirectory(prefix="expectations-docker-config-") as docker_config:
        started = time.monotonic()
        completed = subprocess.run(
            suite_command(url, report_dir, extra_args),
            cwd=REPO_ROOT,
            env=suite_environment(Path(docker_config)),
            capture_output=True,
            text=True,
            timeout=bound,
            check=False,
        )
        elapsed = time.monotonic() - started
    output = completed.stdout[-4000:] + completed.stderr[-3000:]
    results_path = report_dir / "results.json"
    if not results_path.is_file():
        raise AssertionError(f"the suite wrote no results.json (exit {completed.returncode}):\n{output}")
    results: dict[str, Any] = json.loads(results_path.read_text(encoding="utf-8"))
    validate_results(results)
    if results["registry"]["url"] != url or results["registry"]["bundled"]:
        raise AssertionError(f"results.json is not of a run against {url}: {results['registry']}")
    return SuiteRun(completed.returncode, elapsed, output, results, results_path)

