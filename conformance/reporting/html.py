"""report.html of one conformance run: one self-contained page (inline CSS and JS, nothing fetched).

`write_html_report(results, path)` validates the results document (`validation.validate_results`) and
writes the page; `render_html(results)` returns it. Sections, each with a stable id:

- `summary`: verdict, counts per outcome and per finding level, the expectations file's verdict (every
  unexpected result listed), tables by category and by spec area;
- `leftovers`: "Left in the registry", only when cleanup left something (`leftovers`);
- `capabilities`: what the registry showed it supports (and the evidence);
- `failures`: every error, failed and warned check with its message, each broken rule beside the quote of
  the sentence it rests on, traceback and HTTP transcript;
- `advice`: checks that passed with advice (good practice no SHOULD states), with the quotes;
- `checks`: every check, filterable by outcome (a few lines of inline JS; without JS all rows show);
- `environment`: harness version, registry URL, server headers seen, run configuration, the list settle
  time with the lag observed per list kind (results.json `settle`), notes.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from conformance.reporting import model
from conformance.reporting.leftovers import has_leftovers, leftovers_section
from conformance.reporting.validation import validate_results


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def asset(name: str) -> str:
    """An inline asset shipped next to this module (`report.css`, `report.js`)."""
    return resources.files("conformance.reporting").joinpath(name).read_text(encoding="utf-8")


def _badge(outcome: str) -> str:
    return f'<span class="badge o-{_e(outcome)}">{_e(outcome)}</span>'


def _counts_table(title: str, groups: list[model.GroupCounts], label: str) -> str:
    head = "".join(f"<th>{_e(outcome)}</th>" for outcome in model.OUTCOMES)
    rows = []
    for group in groups:
        cells = "".join(
            f'<td class="num{" o-" + outcome if group.counts[outcome] else ""}">{group.counts[outcome]}</td>'
            for outcome in model.OUTCOMES
        )
        rows.append(f'<tr class="w-{group.worst}"><th scope="row">{_e(group.name)}</th>{cells}'
                    f'<td class="num">{group.total}</td></tr>')
    return (f"<h3>{_e(title)}</h3><table class=\"counts\"><thead><tr><th>{_e(label)}</th>{head}"
            f"<th>total</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _expectations(results: dict[str, Any]) -> str:
    block = results.get("expectations")
    if not block:
        return ""
    unexpected = "".join(
        f'<li class="unexpected"><strong>UNEXPECTED {_e(item["status"])}</strong>: <code>{_e(item["check"])}'
        f'</code> expected {_e(item["expected"])}, ended {_badge(item["actual"])}</li>'
        for item in block["unexpected"])
    stale = "".join(f"<li>stale entry: <code>{_e(item['check'])}</code> ({_e(item['reason'])})</li>"
                    for item in block["stale"])
    raw = str(results.get("raw_verdict") or results["verdict"])
    return (
        f'<div class="expectations"><p>Expectations file <code>{_e(block["file"])}</code>'
        f'{" (strict)" if block["strict"] else ""}: {block["expected_failures"]} expected failure(s), '
        f'{len(block["unexpected"])} unexpected verdict(s); without the file the verdict would be '
        f'{_badge(raw)}.</p>'
        + (f"<ul>{unexpected}{stale}</ul>" if unexpected or stale else "") + "</div>"
    )


def _summary(results: dict[str, Any]) -> str:
    counts = results["counts"]
    tiles = "".join(
        f'<div class="tile o-{outcome}"><span class="n">{counts[outcome]}</span>'
        f'<span class="l">{outcome}</span></div>'
        for outcome in model.OUTCOMES
    )
    findings = results.get("findings") or {}
    finding_line = (
        f'<p class="findings">Broken rules: {findings.get("fail", 0)} MUST (fail), '
        f'{findings.get("warn", 0)} SHOULD (warn), {findings.get("advice", 0)} advice; spec text '
        f'{_e(results.get("spec_version", "1.1"))}'
        f'{", strict readings" if results.get("strict_readings") else ""}.</p>'
        if findings else "")
    return (
        '<section id="summary"><h2>Summary</h2>'
        f'<p class="verdict">Verdict: {_badge(results["verdict"])} '
        f'<span class="total">{counts["total"]} checks</span></p>'
        f'<div class="tiles">{tiles}</div>' + finding_line + _expectations(results)
        + _counts_table("By category", model.by_category(results), "category")
        + _counts_table("By spec area", model.by_area(results), "area")
        + "</section>"
    )


def _capabilities(results: dict[str, Any]) -> str:
    rows = []
    for row in results["capabilities"]:
        supported = "yes" if row["supported"] else "no"
        shown = f"{supported} ({row['value']})" if row.get("value") else supported
        evidence = row.get("evidence") or ""
        detail = (f"<details><summary>evidence</summary><pre>{_e(evidence)}</pre></details>"
                  if evidence else "")
        rows.append(
            f'<tr class="cap-{supported}"><th scope="row"><code>{_e(row["name"])}</code></th>'
            f'<td class="sup">{_e(shown)}</td><td>{_e(row.get("description"))}</td>'
            f'<td>{_e(row["reason"])}{detail}</td><td>{_e(row.get("source"))}</td></tr>'
        )
    body = (
        "<table><thead><tr><th>capability</th><th>supported</th><th>what</th><th>why we think so</th>"
        f"<th>learned by</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows else "<p>No optional feature was probed in this run.</p>"
    )
    return f'<section id="capabilities"><h2>Capabilities</h2>{body}</section>'


def _list(title: str, items: list[str]) -> str:
    if not items:
        return ""
    return f"<h4>{_e(title)}</h4><ul>" + "".join(f"<li>{_e(item)}</li>" for item in items) + "</ul>"


def _refs(check: dict[str, Any]) -> str:
    level = f'<span class="level">{_e(check["level"])}</span> ' if check.get("level") else ""
    refs = ", ".join(f"<code>{_e(ref)}</code>" for ref in check.get("spec_refs") or [])
    return level + refs


def _finding(finding: dict[str, Any]) -> str:
    keyword = finding.get("keyword") or "no keyword"
    refers = finding.get("refers_to")
    refers_html = (f'<blockquote class="refers">{_e(refers["document"])}#{_e(refers["anchor"])}: '
                   f'{_e(refers["quote"])}</blockquote>' if refers else "")
    position = (f'<p class="position">Position taken: {_e(finding["position"])}</p>'
                if finding.get("position") else "")
    return (
        f'<li class="finding l-{_e(finding["level"])}"><span class="level">{_e(finding["level"])}</span> '
        f'{_e(finding["message"])}<blockquote><a href="{_e(finding["url"])}">'
        f'{_e(finding["document"])}#{_e(finding["anchor"])}</a> <strong>{_e(keyword)}</strong>: '
        f'&ldquo;{_e(finding["quote"])}&rdquo;</blockquote>{refers_html}{position}</li>'
    )


def _findings(check: dict[str, Any], levels: tuple[str, ...] = ("fail", "warn", "advice")) -> str:
    items = [finding for finding in check.get("findings") or [] if finding["level"] in levels]
    if not items:
        return ""
    return '<h4>Rules broken</h4><ul class="findings">' + "".join(map(_finding, items)) + "</ul>"


def _expectation_tag(check: dict[str, Any]) -> str:
    verdict = check.get("expectation")
    if not verdict or (verdict["status"] == "expected" and verdict.get("entry") is None):
        return ""
    reason = f": {_e(verdict['reason'])}" if verdict.get("reason") else ""
    link = f' <a href="{_e(verdict["link"])}">upstream</a>' if verdict.get("link") else ""
    status = _e(verdict["status"])
    return f'<p class="expectation s-{status}">expectation {status}{reason}{link}</p>'


def _failure(check: dict[str, Any]) -> str:
    transcript = check.get("transcript")
    longrepr = check.get("longrepr")
    parts = [
        f'<article class="failure o-{_e(check["outcome"])}" id="f-{_e(check["nodeid"])}">',
        f"<h3>{_badge(check['outcome'])} <code>{_e(check['nodeid'])}</code></h3>",
        f'<p class="refs">{_refs(check)}</p>',
        _expectation_tag(check),
        f'<pre class="message">{_e(check.get("message") or "(no message)")}</pre>',
        _findings(check),
        "" if check.get("findings") else _list("SHOULD violations", check.get("warnings") or []),
        _list("Notes", check.get("notes") or []),
        "<h4>HTTP transcript</h4>"
        + (f'<pre class="transcript">{_e(transcript)}</pre>' if transcript
           else '<p class="none">No HTTP exchange was recorded for this check.</p>'),
    ]
    if longrepr:
        parts.append(f"<details><summary>traceback</summary><pre>{_e(longrepr)}</pre></details>")
    parts.append("</article>")
    return "".join(parts)


def _failures(results: dict[str, Any]) -> str:
    found = model.problems(results)
    body = "".join(_failure(check) for check in found) or "<p>No check failed, errored or warned.</p>"
    return f'<section id="failures"><h2>Failures and warnings ({len(found)})</h2>{body}</section>'


def _advice(results: dict[str, Any]) -> str:
    advised = [check for check in results["checks"] if check["outcome"] not in model.PROBLEM_OUTCOMES
               and any(finding["level"] == "advice" for finding in check.get("findings") or [])]
    body = "".join(
        f'<article class="advice" id="a-{_e(check["nodeid"])}"><h3>{_badge(check["outcome"])} '
        f'<code>{_e(check["nodeid"])}</code></h3>{_findings(check, ("advice",))}</article>'
        for check in sorted(advised, key=lambda c: c["nodeid"])
    ) or "<p>No advice.</p>"
    return f'<section id="advice"><h2>Advice ({len(advised)})</h2>{body}</section>'


def _checks(results: dict[str, Any]) -> str:
    counts = dict(results["counts"], all=results["counts"]["total"])
    buttons = "".join(
        f'<button type="button" data-outcome="{outcome}" class="o-{outcome}">{outcome} ({counts[outcome]})'
        "</button>"
        for outcome in ("all", *model.OUTCOMES) if counts[outcome]
    )
    rows = []
    for check in sorted(results["checks"], key=lambda c: c["nodeid"]):
        link = (f' <a href="#f-{_e(check["nodeid"])}">details</a>'
                if check["outcome"] in model.PROBLEM_OUTCOMES else "")
        message = check.get("message") or ""
        rows.append(
            f'<tr data-outcome="{_e(check["outcome"])}"><td>{_badge(check["outcome"])}</td>'
            f"<td><code>{_e(model.check_key(check))}</code>{link}</td>"
            f"<td>{_e(', '.join(model.categories_of(check)))}</td><td>{_refs(check)}</td>"
            f'<td class="num">{float(check.get("duration_seconds") or 0):.2f}</td>'
            f'<td class="msg">{_e(message.splitlines()[0] if message else "")}</td></tr>'
        )
    return (
        '<section id="checks"><h2>All checks</h2>'
        f'<div class="filters" role="toolbar" aria-label="filter by outcome">{buttons}</div>'
        '<table id="check-table"><thead><tr><th>outcome</th><th>check</th><th>category</th>'
        "<th>spec</th><th>s</th><th>message</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _settle_fact(block: dict[str, Any] | None) -> str:
    """The settle time and, per list kind read, how many reads needed polling and their largest lag."""
    if not block:
        return "-"
    parts = []
    for kind, tally in block["kinds"].items():
        if tally["reads"]:
            lag = f", max lag {tally['max_lag_seconds']:g} s" if tally["polled"] else ""
            late = f", {tally['unsettled']} not shown in time" if tally["unsettled"] else ""
            parts.append(f"{kind}: {tally['polled']} of {tally['reads']} reads polled{lag}{late}")
    return f"{block['settle_time_seconds']:g} s" + (f" ({'; '.join(parts)})" if parts else "")


def _environment(results: dict[str, Any]) -> str:
    registry = results["registry"]
    config = results.get("config") or {}
    off = sorted(name for name, on in (config.get("switches") or {}).items() if not on)
    facts = [
        ("harness version", results["harness_version"]),
        ("results schema", f"{results['schema']} v{results['schema_version']}"),
        ("registry URL", registry.get("url") or "(not contacted)"),
        ("bundled registry", "yes (started by the harness)" if registry.get("bundled") else "no"),
        ("worker registries", ", ".join(registry.get("worker_urls") or []) or "-"),
        ("started", results["started_at"]),
        ("finished", results["finished_at"]),
        ("duration", f"{results['duration_seconds']:.1f} s"),
        ("strict (SHOULD fails)", "yes" if config.get("strict") else "no"),
        ("spec text", config.get("spec_version") or results.get("spec_version") or "1.1"),
        ("strict readings", "yes" if config.get("strict_readings") else "no"),
        ("switched off", ", ".join(off) or "-"),
        ("namespace", config.get("namespace") or "-"),
        ("list settle time", _settle_fact(results.get("settle"))),
    ]
    fact_rows = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in facts)
    headers = "".join(f'<tr><th scope="row">{_e(k)}</th><td><code>{_e(v)}</code></td></tr>'
                      for k, v in sorted((results.get("server_headers") or {}).items()))
    headers_table = (f"<table>{headers}</table>" if headers
                     else "<p>No headers were recorded (GET /v2/ was not reached).</p>")
    config_json = json.dumps(config, indent=2, sort_keys=True)
    return (
        '<section id="environment"><h2>Environment</h2>'
        f"<table>{fact_rows}</table>"
        f"<h3>Server headers seen on GET /v2/</h3>{headers_table}"
        + _list("Run notes", results.get("notes") or [])
        + f"<details><summary>Run configuration (redacted)</summary><pre>{_e(config_json)}</pre></details>"
        "</section>"
    )


def render_html(results: dict[str, Any]) -> str:
    """The report page of a validated results document."""
    validate_results(results)
    registry = results["registry"].get("url") or "no registry"
    title = f"Conformance report: {registry} ({results['verdict']})"
    leftovers_link = ' <a href="#leftovers">left in the registry</a>' if has_leftovers(results) else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{asset('report.css')}</style></head>"
        f'<body class="verdict-{_e(results["verdict"])}">'
        f"<header><h1>registry-harness conformance report</h1>"
        f"<p><code>{_e(registry)}</code> &middot; {_e(results['started_at'])} &middot; "
        f"harness {_e(results['harness_version'])}</p>"
        '<nav><a href="#summary">summary</a>' + leftovers_link + ' <a href="#capabilities">capabilities</a> '
        '<a href="#failures">failures</a> <a href="#advice">advice</a> <a href="#checks">all checks</a> '
        '<a href="#environment">environment</a></nav></header><main>'
        + _summary(results) + leftovers_section(results) + _capabilities(results) + _failures(results)
        + _advice(results) + _checks(results)
        + _environment(results)
        + f"</main><script>{asset('report.js')}</script></body></html>\n"
    )


def write_html_report(results: dict[str, Any], path: Path) -> Path:
    """Validate `results` (a results.json document) and write its report page to `path`."""
    page = render_html(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
