"""`registry-harness gate`: the release gate. Conformance, then a short load profile, then the baseline.

    registry-harness gate [--registry-url URL] [--config gate.toml] [--baseline PATH] [--tolerance 0.1]
                          [--registry-expectations FILE [--registry-expectations-strict]] [--output-dir DIR]

1. conformance: the categories/modules the config requires (`gate_steps.run_conformance`); with an
   expectations file (config `conformance.expectations` or --registry-expectations) the failures it lists
   are expected and do not fail the gate, every other failure does (`conformance.expectations`);
2. load: a headless Locust profile with the config's thresholds (`gate_steps.run_load`);
3. baseline (with --baseline): the load figures against a previous run's (`baseline.compare`).

Without --registry-url the bundled reference server is started once and both steps target it. Every
report goes into one folder, `reports/gate/<utc>_<host>/` (under the working directory, or
--output-dir): `conformance/` (results.json, junit.xml, report.html), `load/` (summary.json, CSV,
HTML, PNG), the step logs, and `gate.json` (every step's verdict and reasons). Progress and a concise
summary are shown with rich. Exit 0 only when every gate holds, 1 when one does not, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from conformance import __version__
from conformance.registries import RegistryProcess, RegistryStartError, start_reference_server
from conformance.reporting import baseline as baselines
from conformance.reporting.gate_config import GateConfig, GateConfigError, default_text, load_config
from conformance.reporting.gate_steps import StepResult, run_conformance, run_load

GATE_SCHEMA = "registry-harness/gate"
USAGE_ERROR = 2
SHOWN_REASONS = 12


def build_parser() -> argparse.ArgumentParser:
    """Arguments of `registry-harness gate`."""
    parser = argparse.ArgumentParser(prog="registry-harness gate",
                                     description="Release gate: conformance + load thresholds + baseline.")
    parser.add_argument("--registry-url", help="registry to gate (default: start the bundled server)")
    parser.add_argument("--config", type=Path, help="gate TOML merged over the default gate.default.toml")
    parser.add_argument("--baseline", type=Path,
                        help="a previous load summary.json (or its run folder, or a gate folder)")
    parser.add_argument("--tolerance", type=float,
                        help="relative tolerance vs the baseline, e.g. 0.1 (overrides the config)")
    parser.add_argument("--registry-expectations", type=Path, metavar="FILE",
                        help="known-deviations file (TOML/YAML): the failures it lists do not fail the gate "
                             "(overrides conformance.expectations of the config)")
    parser.add_argument("--registry-expectations-strict", action="store_true",
                        help="with an expectations file: any verdict that differs from it fails the gate")
    parser.add_argument("--output-dir", type=Path,
                        help="run folder to write (default reports/gate/<utc>_<host>/ under the cwd)")
    parser.add_argument("--print-default-config", action="store_true",
                        help="print gate.default.toml and exit")
    return parser


def run_folder(base: Path, started: datetime, url: str) -> Path:
    """`<base>/reports/gate/<utc>_<host>/`."""
    host = re.sub(r"[^A-Za-z0-9._-]+", "_", url.split("://", 1)[-1].rstrip("/"))
    return base / "reports" / "gate" / f"{started.strftime('%Y%m%dT%H%M%SZ')}_{host}"


class GateRun:
    """One gate run: configuration, target, run folder, and the steps' verdicts."""

    def __init__(self, config: GateConfig, url: str, *, bundled: bool, directory: Path,
                 baseline_path: Path | None, console: Console) -> None:
        self.config, self.url, self.bundled, self.directory = config, url, bundled, directory
        self.baseline_path, self.console = baseline_path, console
        self.steps: list[StepResult] = []
        self.started = datetime.now(UTC)

    def _progress(self) -> Progress:
        return Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[step]}"), BarColumn(),
                        TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                        TextColumn("{task.description}", style="dim"), console=self.console,
                        transient=False)

    def _run_step(self, name: str, runner: Any) -> Any:
        with self._progress() as progress:
            task = progress.add_task("starting", step=name, total=1.0)

            def update(fraction: float | None, line: str) -> None:
                if fraction is None:
                    progress.update(task, description=line[-70:])
                else:
                    progress.update(task, description=line[-70:], completed=fraction)

            outcome = runner(update)
            progress.update(task, completed=1.0, description="done")
        return outcome

    def run(self) -> bool:
        """Run every enabled step; return True when every gate holds."""
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.config
        if config.conformance.enabled:
            self.steps.append(self._run_step(
                "conformance",
                lambda update: run_conformance(config.conformance, self.url, self.directory, update)))
        else:
            self.steps.append(StepResult("conformance", "skipped", ["disabled in the gate config"]))
        summary: dict[str, Any] | None = None
        if config.load.enabled:
            step, summary = self._run_step(
                "load", lambda update: run_load(config.load, self.url, self.directory, update))
            self.steps.append(step)
        else:
            self.steps.append(StepResult("load", "skipped", ["disabled in the gate config"]))
        if self.baseline_path is not None:
            self.steps.append(self._baseline(summary))
        return all(step.held for step in self.steps)

    def _baseline(self, summary: dict[str, Any] | None) -> StepResult:
        step = StepResult("baseline", "failed", details={"baseline": str(self.baseline_path),
                                                         "tolerance": self.config.baseline.tolerance})
        assert self.baseline_path is not None
        if summary is None:
            step.reasons.append("no load summary of this run to compare (load step disabled or failed)")
            return step
        comparisons = baselines.compare(summary, baselines.load_baseline(self.baseline_path),
                                        self.config.baseline)
        step.details["figures"] = [dict(asdict(c), regressed=c.regressed) for c in comparisons]
        step.reasons = [f"regression: {c.describe()}" for c in comparisons if c.regressed]
        if not comparisons:
            step.reasons.append("the baseline has no figure to compare with")
        return step.judge()

    def document(self, passed: bool) -> dict[str, Any]:
        """gate.json."""
        finished = datetime.now(UTC)
        return {
            "schema": GATE_SCHEMA, "schema_version": 1, "harness_version": __version__,
            "passed": passed,
            "reasons": [f"{step.name}: {reason}"
                        for step in self.steps if not step.held for reason in step.reasons],
            "registry": {"url": self.url, "bundled": self.bundled},
            "started_at": self.started.isoformat(), "finished_at": finished.isoformat(),
            "duration_seconds": round((finished - self.started).total_seconds(), 3),
            "config": {"source": self.config.source, "document": self.config.document},
            "baseline": str(self.baseline_path) if self.baseline_path else None,
            "steps": [asdict(step) for step in self.steps],
        }


def print_summary(console: Console, document: dict[str, Any], directory: Path) -> None:
    """The concise end-of-run summary: one row per step, the reasons, the verdict and the folder."""
    table = Table(title=f"registry-harness gate: {document['registry']['url']}", show_lines=False)
    for column in ("step", "result", "figures"):
        table.add_column(column)
    styles = {"passed": "green", "failed": "bold red", "skipped": "yellow"}
    for step in document["steps"]:
        details = step["details"]
        if step["name"] == "conformance" and "counts" in details:
            counts = details["counts"]
            shown = ("passed", "failed", "error", "warned", "unsupported", "disabled")
            figures = ", ".join(f"{counts[k]} {k}" for k in shown if counts[k]) + f" of {counts['total']}"
        elif step["name"] == "load" and "total" in details:
            total, http = details["total"], details["http"]
            figures = (f"{total.get('mb_s_up', 0):.1f} MB/s up, {total.get('mb_s_down', 0):.1f} MB/s down, "
                       f"{http.get('requests', 0)} requests, {http.get('failures', 0)} failed")
        elif step["name"] == "baseline" and "figures" in details:
            regressed = sum(1 for f in details["figures"] if f["regressed"])
            figures = (f"{len(details['figures'])} figures, {regressed} regressed "
                       f"(tolerance {details['tolerance']:g})")
        else:
            figures = "; ".join(step["reasons"][:1])
        table.add_row(step["name"], f"[{styles[step['status']]}]{step['status']}[/]", figures)
    console.print(table)
    reasons = document["reasons"]
    for reason in reasons[:SHOWN_REASONS]:
        console.print(f"  [red]x[/] {reason}", highlight=False, soft_wrap=True)
    if len(reasons) > SHOWN_REASONS:
        console.print(f"  ... and {len(reasons) - SHOWN_REASONS} more in gate.json")
    verdict = "[bold green]GATE PASSED[/]" if document["passed"] else "[bold red]GATE FAILED[/]"
    console.print(f"{verdict}  reports: {directory}", highlight=False, soft_wrap=True)


def main(argv: Sequence[str]) -> int:
    """Entry point of the subcommand."""
    options = build_parser().parse_args(list(argv))
    console = Console(stderr=True)
    out = Console(soft_wrap=True)
    if options.print_default_config:
        print(default_text(), end="")
        return 0
    try:
        config = load_config(options.config)
        if options.tolerance is not None:
            if options.tolerance < 0:
                raise GateConfigError("--tolerance must be >= 0")
            config = replace(config, baseline=replace(config.baseline, tolerance=options.tolerance))
        expectations = options.registry_expectations
        if expectations is not None:
            if not expectations.is_file():
                raise GateConfigError(f"--registry-expectations {expectations}: no such file")
            config = replace(config, conformance=replace(config.conformance, expectations=str(expectations)))
        if options.registry_expectations_strict:
            config = replace(config, conformance=replace(config.conformance, expectations_strict=True))
        if options.baseline is not None:
            baselines.load_baseline(options.baseline)  # fail early on a bad baseline
    except (GateConfigError, OSError, ValueError) as exc:
        print(f"registry-harness gate: {exc}", file=sys.stderr)
        return USAGE_ERROR
    registry: RegistryProcess | None = None
    url = options.registry_url
    if url is not None and not re.match(r"^https?://[^/\s]+", url):
        print(f"registry-harness gate: --registry-url must be an http(s) URL, got {url!r}", file=sys.stderr)
        return USAGE_ERROR
    if url is None:
        console.print("starting the bundled reference server ...")
        try:
            registry = start_reference_server()
        except (RegistryStartError, OSError) as exc:
            print(f"registry-harness gate: cannot start the bundled server: {exc}", file=sys.stderr)
            return USAGE_ERROR
        url = registry.url
    try:
        started = datetime.now(UTC)
        directory = options.output_dir or run_folder(Path.cwd(), started, url)
        gate = GateRun(config, url.rstrip("/"), bundled=registry is not None, directory=directory,
                       baseline_path=options.baseline, console=console)
        console.print(f"gating {url} with {config.source}; reports in {directory}", highlight=False)
        begun = time.monotonic()
        passed = gate.run()
        document = gate.document(passed)
        (directory / "gate.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print_summary(out, document, directory)
        console.print(f"gate took {time.monotonic() - begun:.1f} s", style="dim")
    finally:
        if registry is not None:
            registry.stop()
    return 0 if passed else 1
