"""Smoke run of `python -m load.bench_rig --quick`: every cell runs, moves bytes or sends HEADs without
failures, and the figures the issue asks for are printed side by side (the full benchmark runs outside CI)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from load.bench_rig import head_figure, worker_figures
from tests.load.locust_runs import REPO_ROOT
from tests.support.clients import require_tools


def test_bench_rig_prints_ratios_and_small_requests_per_core(tmp_path: Path) -> None:
    require_tools("curl")
    figures = tmp_path / "rig.json"
    completed = subprocess.run(
        [sys.executable, "-m", "load.bench_rig", "--quick", "--seconds", "2", "--json", str(figures)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=240, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr[-4000:]
    document = json.loads(figures.read_text())
    cells = {(f["direction"], f["client"].split()[0]): f for f in document["blobs"]["medians"]}
    assert set(cells) == {(d, c) for d in ("pull", "push") for c in ("locust", "curl")}
    for figure in cells.values():
        assert figure["failures"] == 0 and figure["bytes"] > 0 and figure["mb_s"] > 0, figure
    assert cells[("pull", "locust")]["generator_bound"] is not None
    head = document["small_requests"]["median"]
    assert head["failures"] == 0 and head["requests"] > 0 and head["cpu_seconds"] > 0
    assert head["per_core"] == round(head["requests"] / head["cpu_seconds"], 1)
    out = completed.stdout
    for line in ("locust/curl reference pull:", "locust/curl reference push:", "req/s per Locust core:",
                 "registry CPU per request:", "replay schedule lag at 10x"):
        assert line in out, out


def test_head_figure_counts_only_the_workers() -> None:
    summary = {
        "http": {"requests": 1200, "failures": 0},
        "generator": {"bound": True, "processes": {
            "master": {"http_requests": 0, "cpu_seconds": 0.5, "wall_seconds": 4.0},
            "worker-1": {"http_requests": 500, "cpu_seconds": 0.2, "wall_seconds": 4.0},
            "worker-2": {"http_requests": 300, "cpu_seconds": 0.2, "wall_seconds": 3.0},
        }},
    }
    assert [w["http_requests"] for w in worker_figures(summary)] == [500, 300]
    figure = head_figure("reference", 4, 2, summary, server_cpu=0.6)
    assert figure.requests == 800 and figure.per_core == 2000.0 and figure.requests_per_s == 200.0
    assert figure.cpu_utilisation == 0.05 and figure.generator_bound
    assert figure.server_cpu_ms_per_request == 0.5
