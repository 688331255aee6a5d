"""report.html from a fixture results.json (a real distribution 2.8.2 run): structure and escaping."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from conformance.reporting.html import render_html

FIXTURES = Path(__file__).parent / "fixtures"


def distribution() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / "distribution.results.json").read_text())
    return document


class Outline(HTMLParser):
    """Collects section ids, table rows of interest, tags and attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]
        if tag == "section":
            self.sections.append(dict(attrs).get("id") or "")
        if tag == "script":
            self.scripts += 1


def section(page: str, name: str) -> str:
    match = re.search(rf'<section id="{name}">(.*?)</section>', page, re.S)
    assert match, name
    return match.group(1)


def test_page_has_every_section_and_is_self_contained() -> None:
    page = render_html(distribution())
    outline = Outline()
    outline.feed(page)
    assert outline.sections == ["summary", "capabilities", "failures", "advice", "checks", "environment"]
    assert "link" not in outline.tags and "img" not in outline.tags and "iframe" not in outline.tags
    external = [(tag, name, value) for tag, name, value in outline.attributes
                if name in ("src", "href") and value and not value.startswith("#")]
    assert external == []
    assert outline.scripts == 1 and "<style>" in page


def test_summary_counts_by_category_and_area() -> None:
    summary = section(render_html(distribution()), "summary")
    tiles = dict((label, int(number)) for number, label in
                 re.findall(r'<span class="n">(\d+)</span><span class="l">(\w+)</span>', summary))
    assert tiles == {"passed": 3, "warned": 1, "failed": 2, "error": 0, "unsupported": 2, "disabled": 1,
                     "skipped": 0}
    rows = re.findall(r'<tr class="w-(\w+)"><th scope="row">([^<]+)</th>((?:<td[^>]*>\d+</td>)+)', summary)
    table = {name: (worst, [int(n) for n in re.findall(r">(\d+)<", cells)]) for worst, name, cells in rows}
    # columns: passed warned failed error unsupported disabled skipped total
    assert table["tags"] == ("passed", [2, 0, 0, 0, 0, 0, 0, 2])
    assert table["blobs"] == ("failed", [0, 0, 1, 0, 0, 0, 0, 1])
    assert table["grammar"] == ("warned", [0, 1, 0, 0, 0, 0, 0, 1])
    assert table["content management"][1][-1] == 1
    assert "(no category)" not in table


def test_capability_table_shows_support_and_reason() -> None:
    capabilities = section(render_html(distribution()), "capabilities")
    assert re.search(r'<tr class="cap-no"><th scope="row"><code>referrers</code></th><td class="sup">no</td>',
                     capabilities)
    assert re.search(r'<tr class="cap-yes"><th scope="row"><code>mount</code></th>', capabilities)
    assert "mount with from= answered 201" in capabilities


def test_each_failure_has_its_message_and_http_transcript() -> None:
    document = distribution()
    failures = section(render_html(document), "failures")
    articles = re.findall(r'<article class="failure o-(\w+)" id="f-([^"]+)">(.*?)</article>', failures, re.S)
    assert [(outcome, nodeid.rsplit("::", 1)[-1]) for outcome, nodeid, _ in articles] == [
        ("failed", "test_range_get_of_invalid_or_unsatisfiable_range_is_416[bytes=500-0]"),
        ("failed", "test_mount_of_a_sha512_blob"),
        ("warned", "test_invalid_repository_name_is_refused_on_pull[double dot]"),
    ]
    for _, _, body in articles:
        transcript = re.search(r'<pre class="transcript">(.*?)</pre>', body, re.S)
        assert transcript
        assert re.search(r"&gt; (GET|PUT|POST|HEAD) http://127\.0\.0\.1:\d+/v2/", transcript.group(1))


def test_environment_shows_version_url_and_server_headers() -> None:
    environment = section(render_html(distribution()), "environment")
    assert "<th scope=\"row\">harness version</th><td>0.1.0</td>" in environment
    assert "http://127.0.0.1:36545" in environment
    header = '<th scope="row">Docker-Distribution-API-Version</th><td><code>registry/2.0</code>'
    assert header in environment


def test_registry_text_is_escaped() -> None:
    document = copy.deepcopy(distribution())
    failed = next(check for check in document["checks"] if check["outcome"] == "failed")
    failed["message"] = "MustViolation: <script>alert('x')</script> & more"
    failed["transcript"] = "< HTTP/1.1 400\n< content-type: text/html\n\n<img src=x onerror=alert(1)>"
    page = render_html(document)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_rendering_is_stable() -> None:
    assert render_html(distribution()) == render_html(distribution())
