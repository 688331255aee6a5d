"""The one call a conformance run makes to get its report.html: `write_html_beside(results_json)`.

`conformance.results.write_reports` calls it right after writing results.json, so the page shows
exactly the document on disk (read back and validated against the schema: an invalid document is a
harness bug and raises `ResultsError` naming every problem).
"""

from __future__ import annotations

import json
from pathlib import Path

from conformance.reporting.html import write_html_report
from conformance.reporting.validation import validate_results

REPORT_NAME = "report.html"


def write_html_beside(results_json: Path) -> Path:
    """Read and validate `results_json`, write `report.html` in the same folder, return its path."""
    document = json.loads(results_json.read_text(encoding="utf-8"))
    validate_results(document, str(results_json))
    return write_html_report(document, results_json.parent / REPORT_NAME)
