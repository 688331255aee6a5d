"""The run's JSON summary, CSV tables, PNG plots and the MB/s chart embedded in the HTML report.

`build_summary` turns Locust's stats (duck-typed: `.entries`, `.total`) and our `Counters` into one
JSON-able dict; `write_run` writes the run folder: `summary.json`, `ci-cd.json` (github-action-benchmark
"bigger is better" entries, as zot's zb writes them), `requests.csv`, `throughput.csv`,
`latency.csv`, `throughput.png`, `latency.png`, `throughput.html` and `report.html` (Locust's HTML
report with the MB/s chart appended). Plots use matplotlib's Agg backend. Never imports locust.

Rate limits: the `http` block counts each request once, by the attempt that was not rate-limited (the
retried 429 / 503 answers are rows of type `429` / `503`, outside it); `rate_limited` says how many
answers were "later" (per status, per request, retried or given up), their share of all HTTP answers,
the seconds waited and the limits the registry announced; `redirects` counts the redirects followed.
"""

from __future__ import annotations

import csv
import html
import json
import os
import platform
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot

from load.metrics import Counters, mb_per_s
from load.rate_limits import RATE_LIMITED_TYPES

NOT_HTTP_TYPES = ("OP", "TTFB", "XFER", *RATE_LIMITED_TYPES)
IMAGE_PULL = "image pull"
PULL_FIGURES = ("count", "failures", "avg_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms")


def chart_js() -> str:
    """The self-contained chart script (no CDN: the dashboard must work offline)."""
    return resources.files("load").joinpath("static/throughput_chart.js").read_text(encoding="utf-8")


def dashboard_page() -> str:
    """The live `/throughput` page with the chart script inlined."""
    page = resources.files("load").joinpath("static/throughput.html").read_text(encoding="utf-8")
    return page.replace("/*CHART_JS*/", chart_js())


def chart_section(timeline: dict[str, Any]) -> str:
    """An HTML fragment drawing `timeline` with the same chart as the dashboard (for static reports)."""
    data = json.dumps(timeline).replace("</", "<\\/")
    return (
        '<section id="registry-harness-throughput" style="font-family:sans-serif;margin:2em">'
        "<h2>Throughput (MB/s up and down, registry-harness)</h2>"
        '<div id="throughput" data-points="0"></div>'
        f"<script>{chart_js()}</script>"
        f"<script>window.ThroughputChart.render(document.getElementById('throughput'), {data});</script>"
        "</section>"
    )


def sha_ni() -> bool | None:
    """Whether the CPU advertises SHA-NI (sha256 speed depends on it); None when unknown."""
    try:
        return " sha_ni" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return None


def stats_rows(stats: Any, rate_limited: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """One dict per Locust stats entry (type, name, counts, latency percentiles, bytes, 429s/503s on it)."""
    limited = rate_limited or {}
    rows = []
    for entry in sorted(stats.entries.values(), key=lambda e: (e.method or "", e.name)):
        rows.append({
            "type": entry.method or "",
            "name": entry.name,
            "count": entry.num_requests,
            "failures": entry.num_failures,
            "avg_ms": round(entry.avg_response_time, 2),
            "p50_ms": entry.get_response_time_percentile(0.5) or 0,
            "p95_ms": entry.get_response_time_percentile(0.95) or 0,
            "p99_ms": entry.get_response_time_percentile(0.99) or 0,
            "max_ms": round(entry.max_response_time or 0, 2),
            "response_bytes": entry.total_content_length,
            "rate_limited": limited.get(f"{entry.method} {entry.name}", 0),
        })
    return rows


def steady(per_second: list[float]) -> float:
    """Mean MB/s over the seconds strictly between the first and last second that moved bytes.

    Those two are partial (ramp-up, the stop); with too few seconds all active seconds count.
    """
    active = [index for index, value in enumerate(per_second) if value > 0]
    if not active:
        return 0.0
    window = per_second[active[0] + 1 : active[-1]] or per_second[active[0] : active[-1] + 1]
    return round(sum(window) / len(window), 3)


def build_summary(stats: Any, counters: Counters, *, started: float, stopped: float,
                  meta: dict[str, Any], latency: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The JSON summary of one run.

    `mb_s_*` are averages over the whole run (`stopped - started`, ramp-up and seeding included);
    `mb_s_*_steady` average the whole seconds in between the first and last active second.
    """
    duration = max(0.0, stopped - started)
    timeline = counters.timeline(started, stopped)
    scenarios = {}
    for name in counters.scenarios():
        up, down = counters.up.get(name, 0), counters.down.get(name, 0)
        series = timeline["scenarios"].get(name, {"up": [], "down": []})
        scenarios[name] = {
            "bytes_up": up, "bytes_down": down,
            "mb_s_up": round(mb_per_s(up, duration), 3), "mb_s_down": round(mb_per_s(down, duration), 3),
            "mb_s_up_steady": steady(series["up"]), "mb_s_down_steady": steady(series["down"]),
            "operations": counters.ops.get(name, 0),
        }
    total_up, total_down = sum(counters.up.values()), sum(counters.down.values())
    rows = stats_rows(stats, counters.rate_limited)
    http = [row for row in rows if row["type"] not in NOT_HTTP_TYPES]
    requests = sum(row["count"] for row in http)
    failures = sum(row["failures"] for row in http)
    limited = rate_limited_block(counters, requests)
    return {
        "run": {**meta, "duration_s": round(duration, 3), "started": started, "stopped": stopped},
        "scenarios": scenarios,
        "total": {
            "bytes_up": total_up, "bytes_down": total_down,
            "mb_s_up": round(mb_per_s(total_up, duration), 3),
            "mb_s_down": round(mb_per_s(total_down, duration), 3),
        },
        "committed": {"blobs_and_manifests": counters.committed_blobs, "bytes": counters.committed_bytes},
        "http": {"requests": requests, "failures": failures,
                 "fail_ratio": round(failures / requests, 6) if requests else 0.0,
                 "rate_limited": limited["total"], "rate_limited_ratio": limited["ratio"]},
        "rate_limited": limited,
        "redirects": {"followed": counters.redirects, "to_other_origins": counters.redirects_cross_origin},
        "error_codes": dict(sorted(counters.error_codes.items())),
        "digest_mismatches": counters.digest_mismatches,
        "image_pulls": image_pulls(rows),
        "requests": rows,
        "timeline": timeline,
        "latency": latency or [],
        "breaches": [],
    }


def rate_limited_block(counters: Counters, requests: int) -> dict[str, Any]:
    """The `rate_limited` block: 429 / 503-with-Retry-After answers, apart from errors.

    `total` counts every such answer; `retried` those followed by another attempt, `gave_up` those that
    ended their request (also failures in the `http` block). `ratio` is `total` over all HTTP answers
    (`requests`, one per request, plus the retried answers).
    """
    total = sum(counters.rate_limited.values())
    gave_up = sum(counters.rate_limit_gave_up.values())
    answers = requests + total - gave_up
    return {
        "total": total, "retried": total - gave_up, "gave_up": gave_up,
        "ratio": round(total / answers, 6) if answers else 0.0,
        "by_status": dict(sorted(counters.rate_limited_status.items())),
        "by_request": dict(sorted(counters.rate_limited.items())),
        "gave_up_by_request": dict(sorted(counters.rate_limit_gave_up.items())),
        "waited_s": round(counters.retry_wait_s, 3),
        "largest_retry_after_s": counters.largest_retry_after,
        "announced_limits": dict(sorted(counters.rate_limit_headers.items())),
    }


def rate_limit_lines(summary: dict[str, Any]) -> list[str]:
    """Console lines about rate limits and redirects ([] when the registry did neither)."""
    lines = []
    block = summary.get("rate_limited") or {}
    if block.get("total") or block.get("announced_limits"):
        statuses = ", ".join(f"{n} x {status}" for status, n in block.get("by_status", {}).items()) or "none"
        lines.append(f"rate limited: {block.get('total', 0)} answers ({statuses}; "
                     f"{block.get('ratio', 0.0):.2%} of HTTP answers), {block.get('retried', 0)} retried, "
                     f"{block.get('gave_up', 0)} gave up (failures), {block.get('waited_s', 0):g} s waited")
        limits = "; ".join(f"{k}: {v}" for k, v in block.get("announced_limits", {}).items())
        if limits:
            lines.append(f"rate limits the registry announced: {limits}")
    followed = (summary.get("redirects") or {}).get("followed", 0)
    if followed:
        lines.append(f"redirects followed: {followed} "
                     f"({summary['redirects'].get('to_other_origins', 0)} to other origins, sent without "
                     "the registry's Authorization)")
    return lines


def rate_limit_section(summary: dict[str, Any]) -> str:
    """An HTML section on rate limits and redirects for report.html ('' when there were none)."""
    lines = rate_limit_lines(summary)
    if not lines:
        return ""
    block = summary.get("rate_limited") or {}
    cells = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{n}</td>"
        f"<td>{block.get('gave_up_by_request', {}).get(name, 0)}</td></tr>"
        for name, n in block.get("by_request", {}).items())
    table = ('<table border="1" cellpadding="4" style="border-collapse:collapse">'
             f"<tr><th>request</th><th>rate-limited answers</th><th>gave up</th></tr>{cells}</table>"
             if cells else "")
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return ('<section id="registry-harness-rate-limits" style="font-family:sans-serif;margin:2em">'
            "<h2>Rate limits and redirects</h2>"
            f"<ul>{items}</ul>{table}</section>")


def image_pulls(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Whole-image pull times (the `OP image pull...` rows): count, failures, avg/p50/p95/p99/max ms."""
    return {row["name"]: {key: row[key] for key in PULL_FIGURES} for row in rows
            if row["type"] == "OP" and row["name"].startswith(IMAGE_PULL)}


def image_pull_section(summary: dict[str, Any]) -> str:
    """An HTML table of the whole-image pull times for report.html ('' when the run pulled no image)."""
    pulls = summary.get("image_pulls") or {}
    if not pulls:
        return ""
    cells = "".join(
        f"<tr><td>{html.escape(name)}</td>{''.join(f'<td>{figures[key]}</td>' for key in PULL_FIGURES)}</tr>"
        for name, figures in sorted(pulls.items()))
    head = "".join(f"<th>{key}</th>" for key in ("operation", *PULL_FIGURES))
    return ('<section id="registry-harness-image-pulls" style="font-family:sans-serif;margin:2em">'
            "<h2>Whole-image pull time (manifest to last layer)</h2>"
            '<table border="1" cellpadding="4" style="border-collapse:collapse">'
            f"<tr>{head}</tr>{cells}</table></section>")


def environment_meta() -> dict[str, Any]:
    """Facts about the load generator worth keeping next to the figures."""
    return {"python": platform.python_version(), "cpu_count": os.cpu_count(), "sha_ni": sha_ni(),
            "machine": platform.machine()}


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_tables(run_dir: Path, summary: dict[str, Any]) -> None:
    """requests.csv (per stats row), throughput.csv (MB/s per second), latency.csv (p50/p95 over time)."""
    rows = summary["requests"]
    keys = ["type", "name", "count", "failures", "avg_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms",
            "response_bytes", "rate_limited"]
    _write_csv(run_dir / "requests.csv", keys, [[row.get(k, 0) for k in keys] for row in rows])
    timeline = summary["timeline"]
    names = sorted(timeline["scenarios"])
    header = ["t_s", "total_mb_s_up", "total_mb_s_down"]
    for name in names:
        header += [f"{name}_mb_s_up", f"{name}_mb_s_down"]
    table = []
    for index, t in enumerate(timeline["t"]):
        line = [t, timeline["total"]["up"][index], timeline["total"]["down"][index]]
        for name in names:
            line += [timeline["scenarios"][name]["up"][index], timeline["scenarios"][name]["down"][index]]
        table.append(line)
    _write_csv(run_dir / "throughput.csv", header, table)
    _write_csv(run_dir / "latency.csv", ["t_s", "row", "p50_ms", "p95_ms"],
               [[s["t"], s["row"], s["p50_ms"], s["p95_ms"]] for s in summary["latency"]])


def write_plots(run_dir: Path, summary: dict[str, Any]) -> None:
    """throughput.png (MB/s over time) and latency.png (p95 per operation over time)."""
    timeline = summary["timeline"]
    figure, axes = pyplot.subplots(figsize=(10, 4.5))
    axes.plot(timeline["t"], timeline["total"]["up"], color="black", label="total up")
    axes.plot(timeline["t"], timeline["total"]["down"], color="grey", linestyle="--", label="total down")
    for name, values in sorted(timeline["scenarios"].items()):
        if any(values["up"]):
            axes.plot(timeline["t"], values["up"], label=f"{name} up")
        if any(values["down"]):
            axes.plot(timeline["t"], values["down"], linestyle="--", label=f"{name} down")
    axes.set_xlabel("seconds")
    axes.set_ylabel("MB/s")
    axes.set_title("Throughput")
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    figure.savefig(run_dir / "throughput.png", dpi=90)
    pyplot.close(figure)

    figure, axes = pyplot.subplots(figsize=(10, 4.5))
    by_row: dict[str, tuple[list[float], list[float]]] = {}
    for sample in summary["latency"]:
        xs, ys = by_row.setdefault(sample["row"], ([], []))
        xs.append(sample["t"])
        ys.append(sample["p95_ms"])
    for row, (xs, ys) in sorted(by_row.items()):
        axes.plot(xs, ys, marker=".", label=row)
    axes.set_xlabel("seconds")
    axes.set_ylabel("p95 ms (current 10 s window)")
    axes.set_title("Operation latency")
    if by_row:
        axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    figure.savefig(run_dir / "latency.png", dpi=90)
    pyplot.close(figure)


def benchmark_entries(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """`ci-cd.json` entries in github-action-benchmark's "custom bigger is better" format (like zb)."""
    entries = []
    duration = summary["run"]["duration_s"]
    for name, figures in sorted(summary["scenarios"].items()):
        for direction in ("up", "down"):
            if figures[f"bytes_{direction}"]:
                entries.append({"name": f"{name} MB/s {direction}", "unit": "MB/s",
                                "value": figures[f"mb_s_{direction}"]})
        if figures["operations"] and duration:
            entries.append({"name": f"{name} operations/s", "unit": "operations per sec",
                            "value": round(figures["operations"] / duration, 3)})
    return entries


def write_run(run_dir: Path, summary: dict[str, Any], locust_html: str | None) -> None:
    """Write every report file of a run into `run_dir`."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True), encoding="utf-8")
    (run_dir / "ci-cd.json").write_text(json.dumps(benchmark_entries(summary), indent=2), encoding="utf-8")
    write_tables(run_dir, summary)
    write_plots(run_dir, summary)
    section = chart_section(summary["timeline"])
    (run_dir / "throughput.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>MB/s</title></head>"
        f"<body>{section}</body></html>",
        encoding="utf-8",
    )
    if locust_html is not None:
        report = with_chart(locust_html, section + image_pull_section(summary) + rate_limit_section(summary))
        (run_dir / "report.html").write_text(report, encoding="utf-8")


def with_chart(locust_html: str, section: str) -> str:
    """Locust's HTML report with the MB/s chart section added at the end of its body."""
    at = locust_html.rfind("</body>")  # the last one: the inlined UI bundle contains the string too
    return locust_html[:at] + section + locust_html[at:] if at >= 0 else locust_html + section


def add_chart_to_file(path: Path, timeline: dict[str, Any]) -> None:
    """Add the MB/s chart to an HTML report Locust already wrote (`--html`)."""
    html = path.read_text(encoding="utf-8")
    if "registry-harness-throughput" not in html:
        path.write_text(with_chart(html, chart_section(timeline)), encoding="utf-8")
