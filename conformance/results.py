"""The results of a conformance run and the two machine-readable files written from them.

`CheckResult` is one check (one pytest item) with its final outcome; `RunResults` is the whole run.
`write_reports(results, directory)` writes the two files below, then report.html from results.json
(`conformance.reporting`, which validates the document against `schemas/must/results.json`):

results.json (schema "registry-harness/conformance-results", `schema_version` 1; new fields may be added,
existing ones keep their meaning within a schema version):

    schema, schema_version, harness_version
    registry        {url, host, bundled, worker_urls (one bundled server per pytest-xdist worker)}
    started_at, finished_at (UTC ISO 8601), duration_seconds
    verdict         worst outcome of the run ("passed" when nothing went wrong); with an expectations file,
                    expected failures do not count (see `expectations`), and `raw_verdict` ignores the file
    spec_version    the distribution-spec text the run held the registry to ("1.1" or "main")
    strict_readings whether contested readings were applied strictly
    expectations    null, or the expectations file and what it made of the run (conformance.expectations)
    retries         429 / 503+Retry-After answers retried: {by_status, total, waited_seconds,
                    largest_retry_after, rate_limit_headers, exhausted} (conformance.client.retries)
    requests        the requests the run sent and what its limits did: {sent, max_rps, max_requests, waited,
                    waited_seconds, refused} (--registry-max-rps / --registry-max-requests;
                    conformance.client.quota)
    settle          list reads that waited for a write to show (--registry-settle-time): {settle_time_seconds,
                    kinds: {tags, referrers, catalog: {reads, polled, unsettled, polls, waited_seconds,
                    max_lag_seconds, median_lag_seconds, lags_seconds}}} (conformance.checks.settle_tally)
    config          the run configuration, redacted (no credentials; `credentials` says only their source)
    server_headers  informative headers seen on GET /v2/ (Server, Docker-Distribution-API-Version, ...)
    counts          {passed, warned, failed, error, unsupported, disabled, skipped, total, advised}
    findings        {fail, warn, advice}: broken rules over all checks, by level
    capabilities    [{name, supported, reason, evidence, source, description, value (when it has forms)}]
    notes           run-level notes (e.g. retries of rate-limited requests)
    cleanup         what the checks registered for deletion and what became of it: {registered, deleted,
                    left} counts per kind (tag, manifest, blob, total), `repositories` with leftovers (each
                    leftover: kind, reference, check, cause, reason, status, error_code) and a `hint` on
                    removing them (conformance.cleanup_ledger); leftovers are never a check failure
    checks          [{nodeid, name, module, outcome, categories, features, markers, rules, spec_refs, level,
                      duration_seconds, message, warnings, notes, findings, evaluated_rules, expectation,
                      transcript, longrepr}]

    `outcome` is one of passed, warned, failed, error, unsupported, disabled, skipped. `transcript` is the
    rendered HTTP transcript (credentials redacted) for failed, warned and error checks, else null.
    `rules` are the ledger rule ids the check declares; every entry of `findings` is a broken rule:
    {level (fail|warn|advice), rule, document, anchor, url, keyword, quote, refers_to, position, contested,
    message}. `expectation` is null without an expectations file, else {expected, status, reason, link,
    rule, entry}.

junit.xml: one <testsuite> with one <testcase> per check. Failed checks carry a real <failure>, errors a
real <error>, unsupported/disabled/skipped checks a real <skipped> (message starting "unsupported:" or
"disabled:"). Spec references, outcome and markers are <property> elements; SHOULD warnings, notes and
the HTTP transcript go into <system-out>.
"""

from __future__ import annotations

import json
import re
import socket
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.cleanup_ledger import CleanupLedger
from conformance.reporting.hook import write_html_beside
from conformance.verdicts import Outcome

SCHEMA = "registry-harness/conformance-results"
SCHEMA_VERSION = 1
COUNTED = ("passed", "warned", "failed", "error", "unsupported", "disabled", "skipped")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class CheckResult:
    """One check's final verdict and everything the reports show about it."""

    nodeid: str
    name: str
    module: str
    outcome: str
    categories: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    spec_refs: list[str] = field(default_factory=list)
    level: str | None = None
    duration_seconds: float = 0.0
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    transcript: str | None = None
    longrepr: str | None = None
    rules: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    evaluated_rules: list[str] = field(default_factory=list)
    expectation: dict[str, Any] | None = None

    def findings_at(self, level: str) -> list[dict[str, Any]]:
        """The check's findings of one level (fail, warn or advice)."""
        return [finding for finding in self.findings if finding["level"] == level]


@dataclass
class RunResults:
    """A whole run: where, when, how configured, what was learned, and every check."""

    registry_url: str | None
    registry_bundled: bool
    started_at: datetime
    worker_urls: list[str] = field(default_factory=list)
    finished_at: datetime | None = None
    config: dict[str, Any] = field(default_factory=dict)
    server_headers: dict[str, str] = field(default_factory=dict)
    capabilities: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    spec_version: str = "1.1"
    strict_readings: bool = False
    expectations: dict[str, Any] | None = None
    retries: dict[str, Any] | None = None
    settle: dict[str, Any] | None = None
    requests: dict[str, Any] | None = None
    cleanup: dict[str, Any] | None = None

    def counts(self) -> dict[str, int]:
        """Number of checks per outcome, plus `total` and `advised` (checks with advice)."""
        counter = Counter(check.outcome for check in self.checks)
        counts = {name: counter.get(name, 0) for name in COUNTED}
        counts["total"] = len(self.checks)
        counts["advised"] = sum(1 for check in self.checks if check.findings_at("advice"))
        return counts

    def finding_counts(self) -> dict[str, int]:
        """Broken rules over all checks, by level."""
        counter = Counter(finding["level"] for check in self.checks for finding in check.findings)
        return {level: counter.get(level, 0) for level in ("fail", "warn", "advice")}

    def raw_verdict(self) -> str:
        """The worst outcome of the run, ignoring any expectations file."""
        worst = Outcome.worst([Outcome(check.outcome) for check in self.checks])
        counted = (Outcome.WARNED, Outcome.FAILED, Outcome.ERROR)
        return worst.value if worst in counted else Outcome.PASSED.value

    def verdict(self) -> str:
        """The run's verdict: the worst outcome, where checks that ended as the expectations file says count.

        Such checks count as passed; under the file's strict mode any unexpected verdict fails the run.
        """
        if self.expectations is None:
            return self.raw_verdict()
        strict = bool(self.expectations.get("strict"))
        outcomes = []
        for check in self.checks:
            status = (check.expectation or {}).get("status", "expected")
            if status == "expected":
                outcomes.append(Outcome.PASSED)
            elif strict and check.outcome not in (Outcome.FAILED, Outcome.ERROR):
                outcomes.append(Outcome.FAILED)
            else:
                outcomes.append(Outcome(check.outcome))
        worst = Outcome.worst(outcomes)
        counted = (Outcome.WARNED, Outcome.FAILED, Outcome.ERROR)
        return worst.value if worst in counted else Outcome.PASSED.value

    def expectation_lines(self) -> list[str]:
        """Terminal lines about the expectations file: its use, then every unexpected verdict, loudly."""
        if self.expectations is None:
            return []
        block = self.expectations
        lines = [f"expectations: {block['file']}: {block['expected_failures']} expected failure(s), "
                 f"{len(block['unexpected'])} unexpected verdict(s), {len(block['stale'])} stale entr(ies)"]
        for item in block["unexpected"]:
            lines.append(f"UNEXPECTED {item['status']}: {item['check']}: expected {item['expected']}, "
                         f"ended {item['actual']}")
        for entry in block["stale"]:
            lines.append(f"stale expectation (matches no check of this run): {entry['check']}")
        return lines

    def summary_line(self) -> str:
        """One line: "3 passed, 1 failed, 2 warned, 1 unsupported, 0 skipped, 0 errors"."""
        counts = self.counts()
        skipped = counts["skipped"] + counts["disabled"]
        return (f"{counts['passed']} passed, {counts['failed']} failed, {counts['warned']} warned, "
                f"{counts['unsupported']} unsupported, {skipped} skipped, {counts['error']} errors")

    def to_json(self) -> dict[str, Any]:
        """The results.json document."""
        finished = self.finished_at or datetime.now(UTC)
        host = self.registry_url.split("://", 1)[-1] if self.registry_url else None
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "harness_version": __version__,
            "registry": {"url": self.registry_url, "host": host, "bundled": self.registry_bundled,
                         "worker_urls": self.worker_urls},
            "started_at": self.started_at.isoformat(),
            "finished_at": finished.isoformat(),
            "duration_seconds": round((finished - self.started_at).total_seconds(), 3),
            "verdict": self.verdict(),
            "raw_verdict": self.raw_verdict(),
            "spec_version": self.spec_version,
            "strict_readings": self.strict_readings,
            "expectations": self.expectations,
            "retries": self.retries,
            "settle": self.settle,
            "requests": self.requests,
            "config": self.config,
            "server_headers": self.server_headers,
            "counts": self.counts(),
            "findings": self.finding_counts(),
            "capabilities": self.capabilities,
            "notes": sorted(set(self.notes)),
            "cleanup": self.cleanup if self.cleanup is not None
            else CleanupLedger().summary(self.registry_url),
            "checks": [asdict(check) for check in self.checks],
        }


def _clean(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


def junit_tree(results: RunResults) -> ET.ElementTree[ET.Element]:
    """The junit.xml document: real <failure>/<error>/<skipped> elements, properties for spec refs."""
    counts = results.counts()
    total_time = sum(check.duration_seconds for check in results.checks)
    attributes = {
        "name": "registry-harness conformance",
        "tests": str(counts["total"]),
        "failures": str(counts["failed"]),
        "errors": str(counts["error"]),
        "skipped": str(counts["unsupported"] + counts["disabled"] + counts["skipped"]),
        "time": f"{total_time:.3f}",
    }
    root = ET.Element("testsuites", attributes)
    suite = ET.SubElement(root, "testsuite", dict(
        attributes,
        timestamp=results.started_at.isoformat(),
        hostname=socket.gethostname(),
    ))
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("registry_url", results.registry_url or ""),
        ("harness_version", __version__),
        ("verdict", results.verdict()),
        ("namespace", str(results.config.get("namespace", ""))),
        ("strict", str(results.config.get("strict", False)).lower()),
        ("switched_off", " ".join(name for name, on in results.config.get("switches", {}).items() if not on)),
    ):
        ET.SubElement(properties, "property", name=name, value=_clean(value))
    for check in results.checks:
        suite.append(_testcase(check))
    ET.indent(root)
    return ET.ElementTree(root)


def _testcase(check: CheckResult) -> ET.Element:
    case = ET.Element("testcase", {
        "classname": check.module.replace("/", ".").removesuffix(".py"),
        "name": check.name,
        "time": f"{check.duration_seconds:.3f}",
    })
    properties = ET.SubElement(case, "properties")
    ET.SubElement(properties, "property", name="outcome", value=check.outcome)
    for rule in check.rules:
        ET.SubElement(properties, "property", name="rule", value=_clean(rule))
    for ref in check.spec_refs:
        ET.SubElement(properties, "property", name="spec", value=_clean(ref))
    if check.expectation:
        ET.SubElement(properties, "property", name="expectation", value=check.expectation["status"])
    if check.level:
        ET.SubElement(properties, "property", name="level", value=check.level)
    for marker in check.markers:
        ET.SubElement(properties, "property", name="marker", value=marker)
    message = _clean(check.message or "")
    first_line = message.splitlines()[0] if message else ""
    if check.outcome == Outcome.FAILED:
        element = ET.SubElement(case, "failure", message=first_line, type="failure")
        element.text = _clean(check.longrepr or message)
    elif check.outcome == Outcome.ERROR:
        element = ET.SubElement(case, "error", message=first_line, type="error")
        element.text = _clean(check.longrepr or message)
    elif check.outcome in (Outcome.UNSUPPORTED, Outcome.DISABLED, Outcome.SKIPPED):
        ET.SubElement(case, "skipped", message=first_line, type=check.outcome)
    out: list[str] = []
    if check.findings:
        out.append("Broken rules:\n" + "\n".join(
            f"  - [{item['level']}] {item['message']}\n      {item['document']}#{item['anchor']} "
            f"{item['keyword'] or 'no keyword'}: \"{item['quote']}\"" for item in check.findings))
    if check.warnings:
        out.append("SHOULD violations:\n" + "\n".join(f"  - {warning}" for warning in check.warnings))
    if check.notes:
        out.append("Notes:\n" + "\n".join(f"  - {item}" for item in check.notes))
    if check.transcript:
        out.append("HTTP transcript:\n" + check.transcript)
    if out:
        ET.SubElement(case, "system-out").text = _clean("\n\n".join(out))
    return case


def write_reports(results: RunResults, directory: Path) -> list[Path]:
    """Write results.json and junit.xml into `directory` (created); return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / "results.json"
    json_path.write_text(json.dumps(results.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    junit_path = directory / "junit.xml"
    junit_tree(results).write(junit_path, encoding="utf-8", xml_declaration=True)
    return [json_path, junit_path, write_html_beside(json_path)]  # report.html (validates results.json)


def default_report_dir(invocation_dir: Path, started_at: datetime, host: str | None) -> Path:
    """`reports/conformance/<utc-time>_<registry-host>/` under the invocation directory."""
    stamp = started_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    safe_host = re.sub(r"[^A-Za-z0-9._-]+", "_", host or "bundled")
    return invocation_dir / "reports" / "conformance" / f"{stamp}_{safe_host}"
