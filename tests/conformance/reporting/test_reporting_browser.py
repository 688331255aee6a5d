"""report.html and compare.html in headless Chromium: no console errors, summary present, JS filters work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.reporting.compare import build_matrix, load_run, write_comparison
from conformance.reporting.html import write_html_report
from tests.conformance.reporting.report_browser import available, open_page

FIXTURES = Path(__file__).parent / "fixtures"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "reports" / "screenshots"

pytestmark = pytest.mark.skipif(not available(), reason="needs Debian's /usr/bin/chromium")


def test_report_page_loads_without_console_errors_and_filters(tmp_path: Path) -> None:
    results = json.loads((FIXTURES / "distribution.results.json").read_text())
    page_path = write_html_report(results, tmp_path / "report.html")
    with open_page(page_path) as page:
        assert page.problems == []
        assert page.evaluate("document.documentElement.getAttribute('data-report-ready')") == "1"
        verdict = page.evaluate("document.querySelector('#summary .verdict').textContent")
        assert verdict.startswith("Verdict: failed")
        tiles = page.evaluate("[...document.querySelectorAll('#summary .tile')].map(t => t.textContent)")
        assert "2failed" in tiles and "3passed" in tiles
        visible = "[...document.querySelectorAll('#check-table tbody tr')].filter(r => r.offsetParent).length"
        assert page.evaluate(visible) == 9
        page.evaluate("document.querySelector('.filters button[data-outcome=failed]').click()")
        assert page.evaluate(visible) == 2
        page.evaluate("document.querySelector('.filters button[data-outcome=all]').click()")
        assert page.evaluate(visible) == 9
        page.screenshot(SCREENSHOTS / "conformance-report.png")
        page.settle(0.2)
        assert page.problems == []
    dom = page_path.read_text()
    assert '<section id="summary">' in dom


def test_compare_page_loads_without_console_errors(tmp_path: Path) -> None:
    runs = [load_run(FIXTURES / "bundled.results.json", "bundled"),
            load_run(FIXTURES / "distribution.results.json", "distribution-2.8.2")]
    matrix = build_matrix(runs)
    assert matrix.differences == 6
    html_path, _ = write_comparison(matrix, tmp_path)
    with open_page(html_path) as page:
        assert page.problems == []
        rows = "[...document.querySelectorAll('#matrix tbody tr')].filter(r => r.offsetParent).length"
        assert page.evaluate(rows) == 9
        page.evaluate("document.getElementById('only-differences').click()")
        assert page.evaluate(rows) == 6
        page.screenshot(SCREENSHOTS / "conformance-compare.png")
        assert page.problems == []


def test_the_probe_sees_console_errors_and_uncaught_exceptions(tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><title>x</title><script>console.error('boom');"
                      "notDefinedAnywhere();</script>")
    with open_page(broken) as page:
        assert any("console.error: boom" in problem for problem in page.problems), page.problems
        assert any("Uncaught" in problem and "notDefinedAnywhere" in problem for problem in page.problems)
