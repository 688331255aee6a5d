"""Regenerate a curated expectations file of a real registry from a run of the whole suite, for review.

Run from the repository root:

    python -m tests.conformance.expectations.update_expectations 2.8.2              # start it, run, rewrite
    python -m tests.conformance.expectations.update_expectations 3.1.1 --results R.json   # an earlier run

The file is `conformance/expectations/distribution-<version>.toml` (shipped: users pass it to
`--registry-expectations`). Every failed, warned or unsupported check gets an entry with its outcome and
the ledger rule its finding names; the reason and link of an entry whose check and outcome did not change
are kept. A new entry, or one whose outcome changed, is written with the reason `REASON NEEDED: <what the
run said>`: read the check's message and transcript in results.json, verify the behaviour against the
registry and the spec, then write the reason (and a link to the spec or the registry's issue). The script
prints what needs review and exits 1 while anything does; the expectations test fails until it is done.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conformance.expectations.file import Expectation, load_expectations
from conformance.registries import DISTRIBUTION_3, RegistryProcess, peer_binary, start_distribution
from conformance.reporting.validation import validate_results
from tests.conformance.expectations.distribution_run import REPO_ROOT, run_full_suite

EXPECTATIONS_DIR = REPO_ROOT / "conformance" / "expectations"
REGISTRIES = {"2.8.2": "CNCF distribution 2.8.2 (Debian docker-registry)", "3.1.1": "CNCF distribution 3.1.1"}
NEEDED = "REASON NEEDED"
SUITES_PREFIX = "conformance/suites/"


def expectations_path(version: str) -> Path:
    """The shipped expectations file of distribution `version`."""
    return EXPECTATIONS_DIR / f"distribution-{version}.toml"


@contextmanager
def distribution(version: str) -> Iterator[RegistryProcess]:
    """Start distribution `version` (2.8.2: Debian's docker-registry; 3.1.1: the peers folder's binary)."""
    if version == "2.8.2":
        with start_distribution() as process:
            yield process
        return
    binary = peer_binary(DISTRIBUTION_3)
    if binary is None:
        raise SystemExit(f"{DISTRIBUTION_3} is not in the peers folder (see ../shared/peers/README.md)")
    with start_distribution(binary=str(binary)) as process:
        yield process


def finding_rule(check: dict[str, Any]) -> str | None:
    """The rule of the check's strongest finding at its outcome's level (None for unsupported checks)."""
    level = {"failed": "fail", "warned": "warn"}.get(check["outcome"])
    for finding in check.get("findings") or []:
        if finding["level"] == level:
            return str(finding["rule"])
    return None


def regenerate(results: dict[str, Any], old: list[Expectation]) -> list[Expectation]:
    """Entries for every non-passing check of `results`, keeping the reasons of unchanged old entries."""
    kept = {(entry.check, entry.outcome): entry for entry in old if NEEDED not in entry.reason}
    entries = []
    for check in results["checks"]:
        outcome = check["outcome"]
        if outcome not in ("failed", "warned", "unsupported"):
            continue
        check_id = check["nodeid"].split(SUITES_PREFIX, 1)[-1]
        previous = kept.get((check_id, outcome))
        rule = finding_rule(check)
        if previous is not None:
            entries.append(Expectation(check_id, outcome, previous.reason, previous.link, rule))
            continue
        said = " ".join((check.get("message") or check.get("longrepr") or "").split())[:300]
        entries.append(Expectation(check_id, outcome, f"{NEEDED}: {said}", None, rule))
    return entries


def render(version: str, entries: list[Expectation]) -> str:
    """The TOML text of the file (JSON string escapes are TOML basic-string escapes)."""
    lines = [
        f"# What {REGISTRIES[version]} is expected not to pass, and why: every failed, warned or unsupported",
        "# check of a whole-suite run (v1.1.1 text, default readings) against it with filesystem storage,",
        "# deletes enabled and no auth (conformance.registries.distribution_config). `rule` is the ledger",
        "# rule the check breaks (conformance/ledger); unsupported entries name none.",
        "# Use: --registry-expectations conformance/expectations/" + expectations_path(version).name,
        "# Regenerate: python -m tests.conformance.expectations.update_expectations " + version,
        "",
        "[registry]",
        f"name = {json.dumps(REGISTRIES[version])}",
        'spec_version = "1.1"',
    ]
    for entry in entries:
        lines += ["", "[[expect]]", f"check = {json.dumps(entry.check, ensure_ascii=False)}",
                  f'outcome = "{entry.outcome}"']
        if entry.rule:
            lines.append(f'rule = "{entry.rule}"')
        lines.append(f"reason = {json.dumps(entry.reason, ensure_ascii=False)}")
        if entry.link:
            lines.append(f"link = {json.dumps(entry.link)}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run (or read) the suite against distribution, rewrite its file, report what needs a reason."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("version", choices=sorted(REGISTRIES))
    parser.add_argument("--results", type=Path, help="results.json of an earlier run against it")
    args = parser.parse_args(argv)
    path = expectations_path(args.version)
    if args.results is not None:
        results = validate_results(json.loads(args.results.read_text(encoding="utf-8")), str(args.results))
    else:
        with distribution(args.version) as registry, tempfile.TemporaryDirectory() as report:
            results = run_full_suite(registry.url, Path(report)).results
    if results["registry"]["bundled"]:
        raise SystemExit("that results.json is a run against the bundled server")
    old = list(load_expectations(path).entries) if path.is_file() else []
    entries = regenerate(results, old)
    path.write_text(render(args.version, entries), encoding="utf-8")
    needed = [entry.check for entry in entries if NEEDED in entry.reason]
    print(f"{path}: {len(entries)} entries, {len(needed)} need a reason")
    for check in needed:
        print(f"  {check}")
    return 1 if needed else 0


if __name__ == "__main__":
    sys.exit(main())
