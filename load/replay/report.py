"""The run folder of a replay: the same files as every load run, plus the replay's own tables.

`write_cli_run` (the `python -m load.replay` run) writes, through `load.summary`, `summary.json`,
`ci-cd.json`, `requests.csv` (one row per operation class), `throughput.csv`, `latency.csv`,
`throughput.png`, `latency.png`, `throughput.html`; `write_replay_files` (also called at the end of a
Locust replay) adds `replay.json` (the replay summary), `replay_mix.csv` (recorded / sent / answered per
`METHOD route class`), `replay_operations.csv` (latency percentiles and MB/s per operation class),
`replay_timeline.csv` (scheduled and sent requests, MB/s up and down, per second) and `replay.html`
(those tables and the MB/s chart). `summary.json` carries the replay summary under `replay`.
"""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path
from typing import Any

from load import summary as load_summary

OPERATION_COLUMNS = ("count", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "mb_s_up", "mb_s_down",
                     "bytes_up", "bytes_down")


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def chart_timeline(replay: dict[str, Any], start: float) -> dict[str, Any]:
    """The replay's per-second MB/s in the layout the load chart draws."""
    timeline = replay["timeline"]
    return {"t": timeline["t"], "start": int(start),
            "scenarios": {"TraceReplay": {"up": timeline["mb_s_up"], "down": timeline["mb_s_down"]}},
            "total": {"up": timeline["mb_s_up"], "down": timeline["mb_s_down"]}}


def compat_summary(replay: dict[str, Any], meta: dict[str, Any], started: float,
                   stopped: float) -> dict[str, Any]:
    """A summary in the load-run layout (`load.summary.build_summary`) built from a replay summary."""
    rows = []
    for op, figures in replay["operations"].items():
        kind, method = op.split(" ")
        rows.append({"type": method, "name": kind, "count": figures["count"],
                     "failures": replay["requests"].get("mismatched_by_op", {}).get(op, 0),
                     "avg_ms": figures["p50_ms"], "p50_ms": figures["p50_ms"], "p95_ms": figures["p95_ms"],
                     "p99_ms": figures["p99_ms"], "max_ms": figures["max_ms"],
                     "response_bytes": figures["bytes_down"]})
    duration = max(0.0, stopped - started)
    up = sum(f["bytes_up"] for f in replay["operations"].values())
    down = sum(f["bytes_down"] for f in replay["operations"].values())
    total = replay["requests"]["total"]["answered"]
    mb = 1_000_000
    figures = {"bytes_up": up, "bytes_down": down,
               "mb_s_up": round(up / mb / duration, 3) if duration else 0.0,
               "mb_s_down": round(down / mb / duration, 3) if duration else 0.0}
    return {
        "run": {**meta, "duration_s": round(duration, 3), "started": started, "stopped": stopped},
        "scenarios": {"TraceReplay": {**figures, "mb_s_up_steady": figures["mb_s_up"],
                                      "mb_s_down_steady": figures["mb_s_down"], "operations": total}},
        "total": figures,
        "committed": {"blobs_and_manifests": 0, "bytes": 0},
        "http": {"requests": total, "failures": replay["requests"]["mismatched"],
                 "fail_ratio": round(replay["requests"]["mismatched"] / total, 6) if total else 0.0},
        "error_codes": {}, "digest_mismatches": replay["checks"]["digest_mismatches"],
        "requests": rows, "timeline": chart_timeline(replay, started), "latency": [], "breaches": [],
        "replay": replay,
    }


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table border='1' cellpadding='4' style='border-collapse:collapse'><tr>{head}</tr>{body}</table>"


def mix_rows(replay: dict[str, Any]) -> list[list[Any]]:
    """`METHOD route class`, recorded, sent, answered, match."""
    return [[key, v["recorded"], v["sent"], v["answered"], "yes" if v["recorded"] == v["answered"] else "NO"]
            for key, v in replay["requests"]["by_key"].items()]


def operation_rows(replay: dict[str, Any]) -> list[list[Any]]:
    """Operation class figures."""
    return [[op, *[figures[k] for k in OPERATION_COLUMNS]] for op, figures in replay["operations"].items()]


def page(replay: dict[str, Any], start: float) -> str:
    """The replay's HTML report."""
    requests, rate, lag = replay["requests"], replay["rate"], replay["lag"]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Trace replay</title></head>"
        "<body style='font-family:sans-serif;margin:2em'>",
        f"<h1>Trace replay</h1><p>{html.escape(json.dumps(replay.get('trace', {})))}</p>",
        f"<p>speed {replay['speed']}x; mix reproduced: <b>{requests['mix_reproduced']}</b>; "
        f"{requests['mismatched']} answers of another status class than recorded</p>",
        "<h2>Request mix (recorded / sent / answered)</h2>",
        _table(["METHOD route class", "recorded", "sent", "answered", "match"], mix_rows(replay)),
        "<h2>Rate and schedule lag</h2>",
        _table(list(rate), [list(rate.values())]), _table(list(lag), [list(lag.values())]),
        "<h2>Operations</h2>",
        _table(["operation", *OPERATION_COLUMNS], operation_rows(replay)),
        "<h2>Checks</h2>", _table(list(replay["checks"]), [list(replay["checks"].values())]),
    ]
    for name in ("not_reproducible", "skipped", "added", "unsent"):
        if requests.get(name):
            rows = [list(item) for item in requests[name].items()]
            parts.append(f"<h3>{name.replace('_', ' ')}</h3>" + _table(["why", "count"], rows))
    if replay.get("generator"):
        parts.append(f"<h2>Load generator</h2><p>{html.escape(json.dumps(replay['generator']))}</p>")
    parts.append(load_summary.chart_section(chart_timeline(replay, start)))
    parts.append("</body></html>")
    return "".join(parts)


def write_replay_files(run_dir: Path, replay: dict[str, Any], start: float) -> None:
    """replay.json, replay_mix.csv, replay_operations.csv, replay_timeline.csv, replay.html."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "replay.json").write_text(json.dumps(replay, indent=2, sort_keys=True), encoding="utf-8")
    _write_csv(run_dir / "replay_mix.csv", ["key", "recorded", "sent", "answered", "match"], mix_rows(replay))
    _write_csv(run_dir / "replay_operations.csv", ["operation", *OPERATION_COLUMNS], operation_rows(replay))
    timeline = replay["timeline"]
    _write_csv(run_dir / "replay_timeline.csv", ["t_s", "scheduled", "sent", "mb_s_up", "mb_s_down"],
               [list(row) for row in zip(timeline["t"], timeline["scheduled"], timeline["sent"],
                                         timeline["mb_s_up"], timeline["mb_s_down"], strict=True)])
    (run_dir / "replay.html").write_text(page(replay, start), encoding="utf-8")


def write_cli_run(run_dir: Path, replay: dict[str, Any], meta: dict[str, Any], started: float,
                  stopped: float) -> None:
    """Every file of a `python -m load.replay` run folder."""
    compat = compat_summary(replay, meta, started, stopped)
    load_summary.write_run(run_dir, compat, None)
    (run_dir / "report.html").write_text(page(replay, started), encoding="utf-8")
    write_replay_files(run_dir, replay, started)


def add_to_summary(run_dir: Path, replay: dict[str, Any]) -> None:
    """Put the replay summary under `replay` in a Locust run's summary.json."""
    path = run_dir / "summary.json"
    document = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    document["replay"] = replay
    path.write_text(json.dumps(document, indent=2, sort_keys=True), encoding="utf-8")
