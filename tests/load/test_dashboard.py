"""The live MB/s dashboard, driven in headless Chromium while Locust runs against the reference server.

Locust runs with its web UI (a subprocess, bounded by -t and --autoquit); Chromium loads `/throughput`,
lets its script poll for a few (virtual) seconds, and the dumped DOM must show a chart with data points
and non-zero MB/s up and down. The screenshot is kept under reports/screenshots/. The HTML report written
on quit must draw the same chart from its embedded data.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conformance.registries import RegistryProcess, free_port, start_reference_server
from tests.load.locust_runs import LOCUSTFILE, REPO_ROOT

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = REPO_ROOT / "reports" / "screenshots" / "load-throughput-dashboard.png"


@pytest.fixture(scope="module")
def registry() -> Iterator[RegistryProcess]:
    """The bundled reference server for the dashboard run."""
    with start_reference_server() as process:
        yield process


def chromium(*args: str, timeout: float = 60.0) -> str:
    """Run headless Chromium with a fresh profile; its stdout."""
    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        completed = subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                                   capture_output=True, text=True, timeout=timeout, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


def chart_attributes(dom: str) -> dict[str, float]:
    """The data-* attributes the chart script writes on its root element."""
    match = re.search(r'<div id="throughput"([^>]*)>', dom)
    assert match, "no chart root in the page"
    return {name: float(value) for name, value in re.findall(r'data-([a-z-]+)="([0-9.]+)"', match.group(1))}


def wait_for_data(base: str, deadline: float) -> None:
    """Wait until the dashboard's JSON has a few seconds of both uploads and downloads."""
    last = None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(f"{base}/throughput/data", timeout=5.0).json()
            total = last["timeline"]["total"]
            if len(last["timeline"]["t"]) >= 3 and max(total["up"]) > 0 and max(total["down"]) > 0:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the dashboard never showed data: {last}")


def test_dashboard_chart_has_data_in_chromium(tmp_path: Path, registry: RegistryProcess) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    run_dir = tmp_path / "run"
    locust = subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host", registry.url,
         "--web-host", "127.0.0.1", "--web-port", str(port), "--autostart", "-u", "2", "-r", "2", "-t", "60s",
         "--autoquit", "1", "--blob-sizes", "512KiB:1,1MiB:1", "--run-dir", str(run_dir),
         "BlobPushMonolithic", "BlobPull"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_for_data(base, time.monotonic() + 40)
        dom = chromium("--virtual-time-budget=4000", "--dump-dom", f"{base}/throughput")
        attributes = chart_attributes(dom)
        assert attributes["points"] >= 3
        assert attributes["max-up"] > 0 and attributes["max-down"] > 0
        assert "BlobPushMonolithic" in dom and "BlobPull" in dom
        assert "Throughput (MB/s)" in chromium("--virtual-time-budget=5000", "--dump-dom", f"{base}/")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.unlink(missing_ok=True)
        chromium("--virtual-time-budget=3000", "--window-size=1250,800", f"--screenshot={SCREENSHOT}",
                 f"{base}/throughput")
        assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        locust.send_signal(signal.SIGTERM)
        output, _ = locust.communicate(timeout=60)
    assert locust.returncode == 0, output[-5000:]
    report = run_dir / "report.html"
    assert report.is_file(), output[-5000:]
    attributes = chart_attributes(chromium("--virtual-time-budget=2000", "--dump-dom", report.as_uri()))
    assert attributes["points"] >= 3 and attributes["max-up"] > 0 and attributes["max-down"] > 0
