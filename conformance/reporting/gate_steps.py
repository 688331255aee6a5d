"""The gate's two steps, each a child process whose output is logged and turned into a `StepResult`.

- `run_conformance`: `python -m pytest <suite modules> --registry-url URL --registry-report-dir DIR ...`
  with the categories the config does not require switched off; judged from the results.json it wrote
  (validated) and pytest's exit code.
- `run_load`: `python -m locust -f load/locustfile.py --headless ... --thresholds FILE --run-dir DIR`;
  judged from the summary.json it wrote (its `breaches`) and Locust's exit code (0 held, 3 breached,
  2 bad options). Locust always runs in its own process: nothing here imports locust.

`run_streaming` runs a command with a hard timeout (the process group is killed), copies every line to
a log file, and reports progress through a callback.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import conformance
from conformance.reporting import model
from conformance.reporting.gate_config import ConformanceGate, LoadGate, thresholds_toml
from conformance.reporting.validation import ResultsError, validate_results
from conformance.switches import CATEGORIES, SWITCHES_BY_NAME

SUITES_DIR = Path(conformance.__file__).resolve().parent / "suites"
PYTEST_EXIT = {2: "interrupted", 3: "internal error", 4: "usage error", 5: "no checks selected"}
_PERCENT = re.compile(r"\[\s*(\d+)%\]\s*$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([hms]?)")
Progress = Callable[[float | None, str], None]


@dataclass
class StepResult:
    """The verdict of one gate step."""

    name: str
    status: str  # passed | failed | skipped
    reasons: list[str] = field(default_factory=list)
    exit_code: int | None = None
    duration_seconds: float = 0.0
    log: str | None = None
    report_dir: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def held(self) -> bool:
        """True unless the step failed (a skipped step holds)."""
        return self.status != "failed"

    def judge(self) -> StepResult:
        """Set `status` from `reasons` and return self."""
        self.status = "failed" if self.reasons else "passed"
        return self


def locustfile() -> Path:
    """`load/locustfile.py` of the installed load package (found without importing it)."""
    spec = importlib.util.find_spec("load")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the load package is not installed (pip install 'registry-harness[load]')")
    return Path(spec.origin).parent / "locustfile.py"


def seconds(run_time: str) -> float:
    """Locust's run-time spelling (`20s`, `1m30s`, `1h`, `45`) in seconds."""
    total = 0.0
    for number, unit in _DURATION.findall(run_time):
        total += float(number) * {"h": 3600, "m": 60, "s": 1, "": 1}[unit]
    return total


def run_streaming(argv: Sequence[str], log_path: Path, timeout: float, progress: Progress,
                  parse: Callable[[str], float | None] = lambda line: None) -> tuple[int, bool]:
    """Run `argv`, log its output, call `progress(fraction, line)`; return (exit code, timed out)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        log.write("$ " + " ".join(argv) + "\n")
        log.flush()
        process = subprocess.Popen(
            list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
            start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                log.write(line)
                text = line.rstrip()
                if text:
                    progress(parse(text), text)
            returncode = process.wait()
        finally:
            timer.cancel()
    return returncode, timed_out.is_set()


def _pytest_percent(line: str) -> float | None:
    match = _PERCENT.search(line)
    return int(match.group(1)) / 100 if match else None


def conformance_argv(gate: ConformanceGate, url: str, report_dir: Path) -> list[str]:
    """The pytest command line of the conformance step."""
    targets = [str(SUITES_DIR / module) for module in gate.modules] or [str(SUITES_DIR)]
    argv = [sys.executable, "-m", "pytest", *targets, "-p", "no:cacheprovider", "-q",
            "--registry-url", url, "--registry-report-dir", str(report_dir)]
    argv += [SWITCHES_BY_NAME[name].flag for name in CATEGORIES if name not in gate.categories]
    if gate.strict:
        argv.append("--registry-strict")
    if gate.select:
        argv += ["-k", gate.select]
    if gate.expectations:
        argv += ["--registry-expectations", str(Path(gate.expectations).resolve())]
        if gate.expectations_strict:
            argv.append("--registry-expectations-strict")
    return argv + list(gate.pytest_args)


def _counted(check: dict[str, Any], outcome: str, strict: bool) -> bool:
    """Whether `check` counts as a gate failure of kind `outcome` (failed or error), expectations applied."""
    status = (check.get("expectation") or {}).get("status")
    if status == "expected":
        return False
    if check["outcome"] == outcome:
        return True
    return strict and outcome == "failed" and status not in (None, "expected") and check["outcome"] != "error"


def run_conformance(gate: ConformanceGate, url: str, run_dir: Path, progress: Progress) -> StepResult:
    """Run the conformance step into `run_dir/conformance` and judge it."""
    step = StepResult("conformance", "failed", report_dir=str(run_dir / "conformance"))
    missing = [module for module in gate.modules if not (SUITES_DIR / module).is_file()]
    if missing:
        step.reasons.append(f"no such suite module(s): {missing} (in {SUITES_DIR})")
        return step
    report_dir = run_dir / "conformance"
    log_path = run_dir / "conformance.log"
    step.log = str(log_path)
    started = time.monotonic()
    returncode, timed_out = run_streaming(conformance_argv(gate, url, report_dir), log_path,
                                          gate.timeout_seconds, progress, _pytest_percent)
    step.exit_code, step.duration_seconds = returncode, round(time.monotonic() - started, 3)
    if timed_out:
        step.reasons.append(f"conformance run killed after {gate.timeout_seconds:g} s (see {log_path})")
    elif returncode not in (0, 1):
        step.reasons.append(f"pytest exited {returncode} ({PYTEST_EXIT.get(returncode, 'unexpected')}; "
                            f"see {log_path})")
    results_path = report_dir / "results.json"
    if not results_path.is_file():
        step.reasons.append(f"no results.json was written (see {log_path})")
        return step.judge()
    try:
        results = validate_results(json.loads(results_path.read_text(encoding="utf-8")), str(results_path))
    except (ValueError, ResultsError) as exc:
        step.reasons.append(str(exc))
        return step.judge()
    counts = results["counts"]
    step.details = {"counts": counts, "verdict": results["verdict"], "results": str(results_path),
                    "html": str(report_dir / "report.html")}
    strict = gate.expectations_strict and bool(gate.expectations)
    failed = [check for check in results["checks"] if _counted(check, "failed", strict)]
    errors = [check for check in results["checks"] if _counted(check, "error", strict)]
    if results.get("expectations"):
        block = results["expectations"]
        step.details["expectations"] = {"file": block["file"], "stale": block["stale"],
                                        "expected_failures": block["expected_failures"],
                                        "unexpected": block["unexpected"]}
    for label, found, limit in (("failed", failed, gate.max_failed), ("error", errors, gate.max_errors)):
        if len(found) > limit:
            step.reasons.append(f"{len(found)} {label} checks (at most {limit} allowed)")
            for check in found:
                message = (check.get("message") or "").splitlines()
                first = message[0] if message else ""
                step.reasons.append(f"{label}: {model.check_key(check)}: {first}"[:300])
    if counts["total"] == 0:
        step.reasons.append("no conformance check ran")
    return step.judge()


def load_argv(gate: LoadGate, url: str, load_dir: Path, thresholds_file: Path) -> list[str]:
    """The Locust command line of the load step."""
    return [
        sys.executable, "-m", "locust", "-f", str(locustfile()), "--headless", "--only-summary",
        "-u", str(gate.users), "-r", f"{gate.spawn_rate:g}", "-t", gate.run_time, "--host", url,
        "--run-dir", str(load_dir), "--thresholds", str(thresholds_file), "--blob-sizes", gate.blob_sizes,
        *gate.locust_args, *gate.scenarios,
    ]


def run_load(
    gate: LoadGate, url: str, run_dir: Path, progress: Progress
) -> tuple[StepResult, dict[str, Any] | None]:
    """Run the load step into `run_dir/load`; return its verdict and the summary it wrote (if any)."""
    load_dir = run_dir / "load"
    log_path = run_dir / "load.log"
    step = StepResult("load", "failed", log=str(log_path), report_dir=str(load_dir))
    thresholds_file = run_dir / "load-thresholds.toml"
    thresholds_file.write_text(thresholds_toml(gate.thresholds), encoding="utf-8")
    planned = max(seconds(gate.run_time), 1.0)
    started = time.monotonic()

    def by_time(line: str) -> float | None:
        return min((time.monotonic() - started) / planned, 1.0)

    returncode, timed_out = run_streaming(load_argv(gate, url, load_dir, thresholds_file), log_path,
                                          gate.timeout_seconds, progress, by_time)
    step.exit_code, step.duration_seconds = returncode, round(time.monotonic() - started, 3)
    output = log_path.read_text(encoding="utf-8").splitlines()
    tail = [line for line in output if "registry-harness load:" in line]
    if timed_out:
        step.reasons.append(f"load run killed after {gate.timeout_seconds:g} s (see {log_path})")
    elif returncode not in (0, 3):
        why = tail[-1] if tail else f"see {log_path}"
        step.reasons.append(f"locust exited {returncode}: {why}")
    summary_path = load_dir / "summary.json"
    if not summary_path.is_file():
        step.reasons.append(f"no load summary.json was written (see {log_path})")
        return step.judge(), None
    summary: dict[str, Any] = json.loads(summary_path.read_text(encoding="utf-8"))
    step.reasons += [f"threshold: {breach}" for breach in summary.get("breaches", [])]
    if returncode == 3 and not summary.get("breaches"):
        step.reasons.append("locust reported a threshold breach but the summary lists none")
    step.details = {
        "summary": str(summary_path), "html": str(load_dir / "report.html"),
        "http": summary.get("http", {}), "total": summary.get("total", {}),
        "scenarios": {name: {k: v for k, v in figures.items() if k.startswith("mb_s") or k == "operations"}
                      for name, figures in summary.get("scenarios", {}).items()},
    }
    return step.judge(), summary
