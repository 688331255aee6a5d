"""Smoke test of `python -m load.compare_clients`: every cell runs and moves bytes without failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.load.locust_runs import REPO_ROOT
from tests.support.clients import require_tools


def test_compare_clients_prints_locust_and_curl_cells(tmp_path: Path) -> None:
    require_tools("curl")
    figures = tmp_path / "figures.json"
    completed = subprocess.run(
        [sys.executable, "-m", "load.compare_clients", "--size", "2MiB", "--concurrency", "2",
         "--seconds", "2", "--rounds", "1", "--targets", "reference", "--json", str(figures)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=170, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr[-4000:]
    medians = json.loads(figures.read_text())["medians"]
    cells = {(f["target"], f["direction"], f["client"].split()[0]) for f in medians}
    assert cells == {("reference", d, c) for d in ("pull", "push") for c in ("locust", "curl")}
    for figure in medians:
        assert figure["failures"] == 0, figure
        assert figure["bytes"] > 0 and figure["mb_s"] > 0, figure
    assert "locust/curl reference pull:" in completed.stdout
    assert "locust/curl reference push:" in completed.stdout
