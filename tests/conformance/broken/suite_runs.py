"""Running the REAL conformance suite as a subprocess against a URL and reading its results.json.

    outcome = run_suite(proxy.url, ["conformance/suites/test_blobs.py"], tmp_path / "run", timeout=2.0)
    outcome.failed            # {"test_blobs.py::test_x[...]": message, ...}
    outcome.outcomes          # {check id: "passed" | "failed" | "warned" | "unsupported" | ...}

Check ids are node ids relative to `conformance/suites/` (e.g. `test_errors.py::test_missing_blob...[GET]`).
`run_many` runs several suites at once (threads waiting on subprocesses; the registry side is the work).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
SUITES = REPO_ROOT / "conformance" / "suites"
PLUGINS_OFF = ("-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:xdist", "-p", "no:hypothesispytest")
"""Plugins the inner runs do without (faster start, fixed order, one process per run)."""
RUN_BOUND = 150.0
"""No suite run may take longer than this (a hang is a failure of the harness, never a wait)."""


@dataclass
class SuiteRun:
    """What one subprocess run of the suite produced."""

    returncode: int
    elapsed: float
    output: str
    results: dict[str, Any]

    @property
    def checks(self) -> dict[str, dict[str, Any]]:
        """results.json check entries by check id (`test_module.py::test_name[params]`)."""
        return {check_id(check["nodeid"]): check for check in self.results.get("checks", [])}

    @property
    def outcomes(self) -> dict[str, str]:
        """Outcome per check id."""
        return {key: check["outcome"] for key, check in self.checks.items()}

    @property
    def failed(self) -> dict[str, str]:
        """Failed (and errored) checks with their messages."""
        return {
            key: f"{check['outcome']}: {check.get('message') or check.get('longrepr') or ''}"
            for key, check in self.checks.items()
            if check["outcome"] in ("failed", "error")
        }

    def message(self, key: str) -> str:
        """The message and longrepr of one check (for asserting on the reason)."""
        check = self.checks[key]
        return f"{check.get('message') or ''}\n{check.get('longrepr') or ''}"


def check_id(nodeid: str) -> str:
    """`conformance/suites/test_x.py::test_y[z]` -> `test_x.py::test_y[z]`."""
    return nodeid.split("conformance/suites/", 1)[-1]


def module_paths(modules: Sequence[str]) -> list[str]:
    """Paths of suite modules that exist (names like `test_blobs.py`)."""
    return [str(SUITES / module) for module in modules if (SUITES / module).is_file()]


def run_suite(
    url: str,
    modules: Sequence[str],
    report_dir: Path,
    *,
    timeout: float = 2.0,
    extra_args: Sequence[str] = (),
    bound: float = RUN_BOUND,
    workers: int = 0,
) -> SuiteRun:
    """Run `python -m pytest <modules> --registry-url url` and read the results.json it writes.

    `workers` > 0 runs the checks in that many pytest-xdist processes (for rigs whose waits are sleeps).
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OCI_", "REGISTRY_HARNESS_", "PYTEST_"))
    }
    plugins = PLUGINS_OFF if not workers else (*PLUGINS_OFF[:4], *PLUGINS_OFF[6:], "-n", str(workers))
    command = [sys.executable, "-m", "pytest", *module_paths(modules), "-q", *plugins]
    command += ["--registry-url", url, "--registry-report-dir", str(report_dir)]
    command += ["--registry-timeout", str(timeout), *extra_args]
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=bound, check=False
    )
    elapsed = time.monotonic() - started
    results_path = report_dir / "results.json"
    output = completed.stdout[-6000:] + completed.stderr[-3000:]
    if not results_path.is_file():
        raise AssertionError(f"the suite wrote no results.json (exit {completed.returncode}):\n{output}")
    return SuiteRun(completed.returncode, elapsed, output, json.loads(results_path.read_text()))


def run_many(
    jobs: dict[str, tuple[str, Sequence[str]]], base: Path, *, workers: int = 3, timeout: float = 2.0
) -> dict[str, SuiteRun]:
    """Run several suites concurrently: `jobs` maps a name to `(url, modules)`; results by name."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {
            name: pool.submit(run_suite, url, modules, base / name, timeout=timeout)
            for name, (url, modules) in jobs.items()
        }
        return {name: future.result() for name, future in futures.items()}
