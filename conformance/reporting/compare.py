"""`registry-harness compare RESULTS...`: one matrix of checks x registries, as HTML and Markdown.

Each RESULTS is a results.json file, a conformance report folder holding one, or a gate run folder
(`<gate>/conformance/results.json`). Every document is validated first. Rows are checks, matched across
runs by `<module file>::<test name>` (runs started from different directories still line up); a row
whose outcomes differ (or that one run lacks) is a *difference*: highlighted in HTML, marked `≠` and
bold in Markdown, and listed first with `--differences-first`. A second matrix compares capabilities.

    registry-harness compare reports/conformance/*_127.0.0.1_5000 reports/conformance/*_127.0.0.1_5001 \
        --label bundled --label distribution-2.8.2 -o reports/compare/today

writes `compare.html` and `compare.md` into the output folder (default `reports/compare/<utc>/`) and
prints the Markdown. Exit 0 when the matrices were written, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from conformance.reporting import model
from conformance.reporting.html import asset
from conformance.reporting.validation import ResultsError, validate_results

MISSING = "-"


@dataclass(frozen=True)
class Run:
    """One run in the comparison: its column label, where it came from, and its document."""

    label: str
    source: Path
    results: dict[str, Any]


@dataclass(frozen=True)
class Row:
    """One line of a matrix: a key and one cell per run (MISSING when the run lacks it)."""

    key: str
    cells: tuple[str, ...]

    @property
    def differs(self) -> bool:
        """True when the runs disagree (a missing cell disagrees with any outcome)."""
        return len(set(self.cells)) > 1


@dataclass(frozen=True)
class Matrix:
    """The comparison: runs, check rows, capability rows."""

    runs: tuple[Run, ...]
    checks: tuple[Row, ...]
    capabilities: tuple[Row, ...]

    @property
    def differences(self) -> int:
        """Number of check rows whose outcomes differ."""
        return sum(1 for row in self.checks if row.differs)


def results_path(given: Path) -> Path:
    """The results.json a RESULTS argument names (a file, a report folder or a gate folder)."""
    for candidate in (given, given / "results.json", given / "conformance" / "results.json"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{given}: no results.json there (nor in {given}/conformance/)")


def load_run(given: Path, label: str | None = None) -> Run:
    """Read and validate one run."""
    path = results_path(given)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ResultsError([f"not JSON: {exc}"], str(path)) from exc
    validate_results(document, str(path))
    return Run(label or model.registry_label(document), path, document)


def _unique_labels(runs: list[Run]) -> list[Run]:
    seen: dict[str, int] = {}
    unique = []
    for run in runs:
        seen[run.label] = seen.get(run.label, 0) + 1
        label = run.label if seen[run.label] == 1 else f"{run.label} #{seen[run.label]}"
        unique.append(Run(label, run.source, run.results))
    return unique


def build_matrix(runs: Sequence[Run], *, differences_first: bool = False) -> Matrix:
    """Line up every check and capability of `runs`."""
    runs = _unique_labels(list(runs))
    outcomes = [{model.check_key(check): check["outcome"] for check in run.results["checks"]} for run in runs]
    keys = sorted(set().union(*outcomes))
    checks = [Row(key, tuple(table.get(key, MISSING) for table in outcomes)) for key in keys]
    if differences_first:
        checks.sort(key=lambda row: not row.differs)
    support = [{row["name"]: ("yes" if row["supported"] else "no")
                + (f" ({row['value']})" if row.get("value") else "") for row in run.results["capabilities"]}
               for run in runs]
    names = sorted(set().union(*support))
    capabilities = [Row(name, tuple(table.get(name, MISSING) for table in support)) for name in names]
    return Matrix(tuple(runs), tuple(checks), tuple(capabilities))


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(first: str, runs: Sequence[Run], rows: Sequence[Row]) -> list[str]:
    lines = [f"| | {first} | " + " | ".join(_md(run.label) for run in runs) + " |",
             "|---|---|" + "---|" * len(runs)]
    for row in rows:
        mark = "≠" if row.differs else ""
        shown = ["not run" if cell == MISSING else cell for cell in row.cells]
        cells = [f"**{cell}**" if row.differs else cell for cell in shown]
        lines.append(f"| {mark} | `{_md(row.key)}` | " + " | ".join(cells) + " |")
    return lines


def render_markdown(matrix: Matrix) -> str:
    """The comparison as GitHub-flavoured Markdown."""
    runs = matrix.runs
    lines = ["# Conformance comparison", ""]
    lines += ["| registry | URL | verdict | " + " | ".join(model.OUTCOMES) + " | total |",
              "|---|---|---|" + "---|" * (len(model.OUTCOMES) + 1)]
    for run in runs:
        counts = run.results["counts"]
        lines.append(f"| {_md(run.label)} | {_md(str(run.results['registry'].get('url')))} | "
                     f"{run.results['verdict']} | " + " | ".join(str(counts[o]) for o in model.OUTCOMES)
                     + f" | {counts['total']} |")
    lines += ["", f"{matrix.differences} of {len(matrix.checks)} checks differ (marked ≠).", "",
              "## Checks", ""]
    lines += _md_table("check", runs, matrix.checks)
    lines += ["", "## Capabilities", ""]
    lines += _md_table("capability", runs, matrix.capabilities) if matrix.capabilities else ["(none probed)"]
    return "\n".join(lines) + "\n"


def _html_table(table_id: str, first: str, runs: Sequence[Run], rows: Sequence[Row]) -> str:
    head = "".join(f"<th>{escape(run.label)}</th>" for run in runs)
    body = []
    for row in rows:
        cells = "".join(
            '<td class="missing">not run</td>' if cell == MISSING
            else f'<td><span class="badge o-{escape(cell)}">{escape(cell)}</span></td>'
            for cell in row.cells
        )
        css = ' class="diff"' if row.differs else ""
        body.append(f'<tr{css}><th scope="row"><code>{escape(row.key)}</code></th>{cells}</tr>')
    return (f'<table id="{table_id}"><thead><tr><th>{escape(first)}</th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def _run_row(run: Run) -> str:
    results, verdict = run.results, run.results["verdict"]
    counts = "".join(f'<td class="num">{results["counts"][o]}</td>' for o in model.OUTCOMES)
    return (f'<tr><th scope="row">{escape(run.label)}</th>'
            f"<td><code>{escape(str(results['registry'].get('url')))}</code></td>"
            f'<td><span class="badge o-{verdict}">{verdict}</span></td>{counts}'
            f'<td class="num">{results["counts"]["total"]}</td><td>{escape(str(run.source))}</td></tr>')


def render_html(matrix: Matrix) -> str:
    """The comparison as one self-contained HTML page (differences highlighted, a filter checkbox)."""
    runs = matrix.runs
    summary_rows = "".join(_run_row(run) for run in runs)
    outcome_heads = "".join(f"<th>{o}</th>" for o in model.OUTCOMES)
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Conformance comparison</title>"
        f"<style>{asset('report.css')}</style></head><body><header><h1>Conformance comparison</h1>"
        f"<p>{len(runs)} runs &middot; {matrix.differences} of {len(matrix.checks)} checks differ</p>"
        "</header>"
        '<main><section id="summary"><h2>Runs</h2><table><thead><tr><th>registry</th><th>URL</th>'
        f"<th>verdict</th>{outcome_heads}<th>total</th><th>results</th></tr></thead>"
        f"<tbody>{summary_rows}</tbody></table></section>"
        '<section id="checks"><h2>Checks</h2><p><label><input type="checkbox" id="only-differences"> '
        "show only differences</label> (highlighted rows differ)</p>"
        + _html_table("matrix", "check", runs, matrix.checks)
        + '</section><section id="capabilities"><h2>Capabilities</h2>'
        + _html_table("capability-matrix", "capability", runs, matrix.capabilities)
        + f"</section></main><script>{asset('report.js')}</script></body></html>\n"
    )


def write_comparison(matrix: Matrix, directory: Path) -> tuple[Path, Path]:
    """Write compare.html and compare.md into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    html_path, md_path = directory / "compare.html", directory / "compare.md"
    html_path.write_text(render_html(matrix), encoding="utf-8")
    md_path.write_text(render_markdown(matrix), encoding="utf-8")
    return html_path, md_path


def build_parser() -> argparse.ArgumentParser:
    """Arguments of `registry-harness compare`."""
    parser = argparse.ArgumentParser(prog="registry-harness compare",
                                     description="Compare conformance runs: a checks x registries matrix.")
    parser.add_argument("results", nargs="+", type=Path, metavar="RESULTS",
                        help="results.json, a conformance report folder, or a gate run folder")
    parser.add_argument("--label", action="append", default=[],
                        help="column label of the run at the same position (repeat; default: registry)")
    parser.add_argument("-o", "--output-dir", type=Path, default=None,
                        help="where compare.html/compare.md go (default reports/compare/<utc>/)")
    parser.add_argument("--differences-first", action="store_true", help="list differing checks first")
    parser.add_argument("--quiet", action="store_true", help="do not print the Markdown")
    return parser


def main(argv: Sequence[str]) -> int:
    """Entry point of the subcommand."""
    options = build_parser().parse_args(list(argv))
    if len(options.label) > len(options.results):
        print("registry-harness compare: more --label than RESULTS", file=sys.stderr)
        return 2
    labels = options.label + [None] * (len(options.results) - len(options.label))
    try:
        runs = [load_run(path, label) for path, label in zip(options.results, labels, strict=True)]
    except (OSError, ResultsError) as exc:
        print(f"registry-harness compare: {exc}", file=sys.stderr)
        return 2
    matrix = build_matrix(runs, differences_first=options.differences_first)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    directory = options.output_dir or Path.cwd() / "reports" / "compare" / stamp
    html_path, md_path = write_comparison(matrix, directory)
    if not options.quiet:
        print(md_path.read_text(encoding="utf-8"), end="")
    print(f"comparison: {html_path} and {md_path} ({matrix.differences} differing checks)", file=sys.stderr)
    return 0
