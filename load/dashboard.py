"""The live MB/s dashboard inside Locust's web UI (master or local process only).

- `/throughput`: a self-contained page (inline JS canvas chart, no CDN) polling `/throughput/data` every
  second: MB/s up and down over time (the last 15 minutes), in total and per scenario.
- `/throughput/data`: the JSON it draws (the merged `Counters.timeline()` and totals).
- An extra "Throughput" tab in Locust's own UI: a table of MB/s per scenario (current 5 s window and run
  average), carried in the `extended_stats` of `/stats/requests`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request

from load.metrics import MB, Counters, mb_per_s
from load.summary import dashboard_page

TAB_KEY = "registry-throughput"
CURRENT_WINDOW_S = 5
LIVE_WINDOW_S = 900


def scenario_table(counters: Counters, started: float | None, now: float) -> list[dict[str, Any]]:
    """Rows of the Throughput tab: per scenario MB moved, MB/s over the last seconds and over the run."""
    rows = []
    elapsed = now - started if started else 0.0
    recent = [sec for sec in counters.series if now - CURRENT_WINDOW_S - 1 <= sec < int(now)]
    for name in counters.scenarios():
        up_now = sum(counters.series[sec].get(name, [0, 0])[0] for sec in recent)
        down_now = sum(counters.series[sec].get(name, [0, 0])[1] for sec in recent)
        rows.append({
            "name": name, "safe_name": name,
            "mb_up": round(counters.up.get(name, 0) / MB, 1),
            "mb_down": round(counters.down.get(name, 0) / MB, 1),
            "mb_s_up_now": round(mb_per_s(up_now, CURRENT_WINDOW_S), 1),
            "mb_s_down_now": round(mb_per_s(down_now, CURRENT_WINDOW_S), 1),
            "mb_s_up_avg": round(mb_per_s(counters.up.get(name, 0), elapsed), 1),
            "mb_s_down_avg": round(mb_per_s(counters.down.get(name, 0), elapsed), 1),
            "operations": counters.ops.get(name, 0),
        })
    return rows


def live_window_start(started: float | None, now: float) -> float | None:
    """The live chart shows at most the last LIVE_WINDOW_S seconds (soak runs stay cheap to poll)."""
    if started is None:
        return None
    return max(started, now - LIVE_WINDOW_S)


TABLE_STRUCTURE = [
    {"key": "name", "title": "Scenario"},
    {"key": "mb_s_up_now", "title": f"MB/s up (last {CURRENT_WINDOW_S} s)"},
    {"key": "mb_s_down_now", "title": f"MB/s down (last {CURRENT_WINDOW_S} s)"},
    {"key": "mb_s_up_avg", "title": "MB/s up (run)"},
    {"key": "mb_s_down_avg", "title": "MB/s down (run)"},
    {"key": "mb_up", "title": "MB up"},
    {"key": "mb_down", "title": "MB down"},
    {"key": "operations", "title": "Operations"},
]


def install(web_ui: Any, counters: Counters, started: Callable[[], float | None],
            state: Callable[[], str]) -> None:
    """Add the routes and the Throughput tab to Locust's Flask app."""
    app = web_ui.app

    def throughput_page() -> Response:
        return Response(dashboard_page(), mimetype="text/html")

    def throughput_data() -> Response:
        return jsonify({
            "state": state(),
            "timeline": counters.timeline(live_window_start(started(), time.time())),
            "total": {"mb_up": sum(counters.up.values()) / MB, "mb_down": sum(counters.down.values()) / MB},
            "error_codes": dict(counters.error_codes),
            "digest_mismatches": counters.digest_mismatches,
            "rate_limited": dict(counters.rate_limited),
        })

    def add_throughput_stats(response: Response) -> Response:
        if request.path.endswith("/stats/requests") and response.is_json:
            document = response.get_json()
            extended = document.get("extended_stats") or []
            extended.append({"key": TAB_KEY, "data": scenario_table(counters, started(), time.time())})
            document["extended_stats"] = extended
            response.set_data(json.dumps(document))
        return response

    app.add_url_rule("/throughput", "registry_harness_throughput", throughput_page)
    app.add_url_rule("/throughput/data", "registry_harness_throughput_data", throughput_data)
    app.after_request(add_throughput_stats)
    web_ui.template_args["extended_tabs"] = [{"title": "Throughput (MB/s)", "key": TAB_KEY}]
    web_ui.template_args["extended_tables"] = [{"key": TAB_KEY, "structure": TABLE_STRUCTURE}]
    web_ui.template_args["extended_csv_files"] = [{"href": "/throughput/data", "title": "Throughput JSON"}]
