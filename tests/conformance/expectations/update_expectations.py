"""Regenerate `distribution-2.8.2.json` from a run of the suite against distribution 2.8.2, for review.

Run from the repository root:

    python -m tests.conformance.expectations.update_expectations                  # start 2.8.2, run, rewrite
    python -m tests.conformance.expectations.update_expectations --results R.json # from an earlier run

Reasons and details of checks whose outcome did not change are kept. Every new non-passing check, and every
check whose outcome changed, is written with `REASON NEEDED` and the run's message: read its message and
transcript in results.json, verify the behaviour against 2.8.2, then replace the marker with the reason
keys (adding a key under "reasons" when the behaviour is new) and write what it saw as `detail`. The script
prints what needs review and exits 1 while anything does; the expectations test fails until it is done.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from conformance.registries import start_distribution
from conformance.reporting.validation import validate_results
from tests.conformance.expectations.distribution_run import run_full_suite
from tests.conformance.expectations.expectations_file import (
    EXPECTATIONS_PATH,
    Expectations,
    observed_checks,
    regenerate,
    review_problems,
    shorten,
)


def _observed_from(results_path: Path | None) -> tuple[dict[str, object], Path]:
    if results_path is not None:
        document = validate_results(json.loads(results_path.read_text(encoding="utf-8")), str(results_path))
        if document["registry"]["bundled"]:
            raise SystemExit(f"{results_path} is a run against the bundled server, not distribution 2.8.2")
        return document, results_path
    report_dir = Path(tempfile.mkdtemp(prefix="expectations-run-"))
    with start_distribution() as registry:
        print(f"running the suite against distribution 2.8.2 at {registry.url} ...", flush=True)
        run = run_full_suite(registry.url, report_dir)
    print(f"{len(run.observed)} checks in {run.elapsed:.0f} s; results: {run.results_path}")
    return run.results, run.results_path


def main(argv: list[str] | None = None) -> int:
    """Rewrite the expectations file from a run; exit 1 while entries await review."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="results.json of a run against distribution 2.8.2 (default: start one and run)",
    )
    parser.add_argument("--file", type=Path, default=EXPECTATIONS_PATH, help="the expectations file")
    options = parser.parse_args(argv)
    results, results_path = _observed_from(options.results)
    observed = observed_checks(results)
    previous = Expectations.load(options.file)
    regeneration = regenerate(previous, observed)
    regeneration.expectations.dump(options.file)
    print(
        f"wrote {options.file}: {len(regeneration.expectations.passing)} passing, "
        f"{len(regeneration.expectations.non_passing)} non-passing (run: {results_path})"
    )
    for key in regeneration.now_passing:
        print(f"  now passes (was {previous.outcomes()[key]}): {key}")
    for key in regeneration.vanished:
        print(f"  vanished (was {previous.outcomes()[key]}): {key}")
    for key in regeneration.lost_notes:
        note = previous.noted[key]
        print(
            f"  noted check lost its note {note.note!r} ({', '.join(note.reasons)}): {key}; "
            f"now {observed[key].outcome if key in observed else 'vanished'}: review and re-pin it by hand"
        )
    for key in regeneration.needs_review:
        print(f"  {observed[key].outcome} needs a reason: {key}\n      {shorten(observed[key].message, 300)}")
    problems = review_problems(regeneration.expectations)
    if problems or regeneration.lost_notes:
        print(f"{len(problems)} problems to review before the file is a reviewed record:")
        print("\n".join(f"  - {problem}" for problem in problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
