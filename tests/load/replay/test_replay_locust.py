"""TraceReplay under Locust: two worker processes split the trace and together send exactly its mix."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.registries import start_reference_server
from load.replay.__main__ import main
from tests.load.locust_runs import run_locust


def test_two_workers_send_the_whole_trace_once(tmp_path: Path) -> None:
    trace = tmp_path / "day.jsonl"
    assert main(["--model", "fast18-shape", "--out", str(trace), "--requests", "300", "--seed", "7",
                 "--set", "layer_median=20000", "--set", "repos=12"]) == 0
    with start_reference_server() as registry:
        run = run_locust(tmp_path, "--host", registry.url, "--processes", "2", "-u", "2", "-r", "2",
                         "-t", "90s", "--trace", str(trace), "--speed", "10", "--pool-size", "4MiB",
                         "TraceReplay", timeout=150)
    assert run.returncode == 0, run.output
    replay = json.loads((run.run_dir / "replay.json").read_text())
    assert run.summary["run"]["workers"] == 2 and replay["workers"] == 2
    requests = replay["requests"]
    records = len(trace.read_text().splitlines()) - 1
    assert requests["total"] == {"recorded": records, "sent": records, "answered": records}
    assert all(v["recorded"] == v["answered"] for v in requests["by_key"].values()), requests["by_key"]
    assert requests["mix_reproduced"]
    assert replay["checks"]["sizes_checked"] == replay["checks"]["sizes_matched"] > 0
    assert run.summary["replay"]["requests"]["total"]["answered"] == records
    assert "replay:" in run.stdout


def test_trace_replay_named_without_a_trace_is_refused(tmp_path: Path) -> None:
    refused = run_locust(tmp_path, "-t", "1s", "TraceReplay", name="refused")
    assert refused.returncode == 2 and "TraceReplay needs --trace FILE" in refused.stderr
