"""The generator-bound flag: the sampler's arithmetic, the verdict, and real Locust runs against the bundled
reference server, one that saturates the Locust process (many users on a tiny request) and a light one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.registries import RegistryProcess, start_reference_server
from load.generator_health import (
    LAG_BOUND_MS,
    MESSAGE,
    HealthSampler,
    Sample,
    console_lines,
    thread_wait_seconds,
    verdict,
    with_banner,
)
from tests.load.locust_runs import run_locust

BANNER_ID = 'id="registry-harness-generator-bound"'


class StopSamplingError(Exception):
    """Ends the sampler's endless loop in a test."""


def seconds_of(*samples: tuple[int, Sample], requests: int = 0) -> dict[int, list[float]]:
    sampler = HealthSampler()
    for second, sample in samples:
        sampler.requests = requests
        sampler.record(second, sample)
    return sampler.own


def test_sampler_records_cpu_wait_lag_and_requests_per_second() -> None:
    ticks = iter([0.0, 0.15, 0.25])  # wall clock of the three readings: the first wake-up is 50 ms late
    cpu = iter([1.0, 1.1, 1.2])
    main = iter([0.5, 0.58, 0.66])
    wait = iter([0.0, 0.01, 0.02])
    sampler = HealthSampler(clock=lambda: 100.5, process_cpu=lambda: next(cpu), thread_cpu=lambda: next(main),
                            thread_wait=lambda: next(wait), monotonic=lambda: next(ticks))
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) > 2:
            raise StopSamplingError
        sampler.count_request()

    with pytest.raises(StopSamplingError):
        sampler.run(sleep, interval=0.1)
    wall, process, thread, lag_sum, lag_n, lag_max, requests, waited = sampler.drain()["100"]
    assert wall == pytest.approx(0.25) and process == pytest.approx(0.2) and thread == pytest.approx(0.16)
    assert lag_n == 2 and lag_max == pytest.approx(50.0) and lag_sum == pytest.approx(50.0)
    assert requests == 2 and waited == pytest.approx(0.02)
    assert sampler.drain() == {}


def test_verdict_flags_a_busy_main_thread_and_counts_only_whole_seconds_of_the_run() -> None:
    busy = Sample(1.0, 1.0, 0.95, 1.0)
    starved = Sample(1.0, 0.6, 0.6, 1.0, wait=0.35)  # runnable all the time, but only 60% on a CPU
    idle = Sample(1.0, 0.1, 0.1, 1.0)
    samples = ((10, busy), (11, starved), (12, idle), (13, busy), (99, idle))
    processes = {"local": seconds_of(*samples, requests=500)}
    block = verdict(processes, started=10.0, stopped=14.0)
    local = block["processes"]["local"]
    assert local["seconds"] == 4 and local["busy_seconds"] == 3 and local["http_requests"] == 2000
    assert local["requests_per_cpu_second"] == pytest.approx(2000 / 2.7, rel=1e-3)
    assert block["bound"] and block["message"] == MESSAGE
    assert "local: main thread running or waiting for a CPU >= 90%" in block["reasons"][0]
    assert verdict(processes, started=12.0, stopped=13.0)["bound"] is False  # one idle second
    assert verdict(processes, started=50.0, stopped=60.0) == {**block, "bound": False, "message": "",
                                                                "reasons": [], "processes": {}}


def test_verdict_flags_loop_lag_and_names_the_worker() -> None:
    lagging = Sample(1.0, 0.3, 0.3, LAG_BOUND_MS + 10)
    sampler = HealthSampler()
    sampler.merge("worker-1", {"5": [1.0, 0.3, 0.3, 0.0, 1.0, 0.0, 7.0, 0.0]})
    sampler.merge("worker-2", {str(k): v for k, v in seconds_of((5, lagging), (6, lagging)).items()})
    block = verdict(sampler.processes, started=5.0, stopped=7.0)
    assert block["bound"] and len(block["reasons"]) == 1
    assert block["reasons"][0].startswith("worker-2: median event-loop lag")
    assert block["processes"]["worker-1"]["bound"] is False
    assert block["processes"]["worker-1"]["http_requests"] == 7


def test_banner_goes_after_the_real_body_tag_and_only_when_bound() -> None:
    page = '<html><script>x="<body>"</script></head>\n<body>\n<div id="root"></div></body></html>'
    bound = {"bound": True, "reasons": ["local: <busy>"]}
    flagged = with_banner(page, bound)
    assert flagged.index(BANNER_ID) > flagged.rindex("<body>") and "&lt;busy&gt;" in flagged
    assert with_banner(flagged, bound) == flagged
    assert with_banner(page, {"bound": False, "reasons": []}) == page
    assert console_lines({"bound": False, "processes": {}}) == []


def test_thread_wait_reads_this_threads_schedstat() -> None:
    assert thread_wait_seconds() >= 0.0


@pytest.fixture(scope="module")
def registry() -> Iterator[RegistryProcess]:
    """The bundled reference server for this module's runs."""
    with start_reference_server() as process:
        yield process


def test_a_saturated_locust_process_is_flagged_generator_bound(tmp_path: Path,
                                                               registry: RegistryProcess) -> None:
    # 30 users sending HEADs back to back: the one Locust process always has work
    run = run_locust(tmp_path, "--host", registry.url, "-u", "30", "-r", "30", "-t", "4s", "BlobHead")
    assert run.returncode == 0, run.output
    block = run.summary["generator"]
    local = block["processes"]["local"]
    assert block["bound"], block
    assert local["busy_share"] >= 0.5 and local["http_requests"] > 0
    assert local["requests_per_cpu_second"] > 0
    assert f"GENERATOR-BOUND: {MESSAGE}" in run.stdout
    assert BANNER_ID in (run.run_dir / "report.html").read_text()


def test_a_light_run_is_not_flagged(tmp_path: Path, registry: RegistryProcess) -> None:
    run = run_locust(tmp_path, "--host", registry.url, "-u", "1", "-r", "1", "-t", "3s", "--think-time",
                     "0.3", "--blob-sizes", "64KiB:1", "--layers", "2", "ImagePull")
    assert run.returncode == 0, run.output
    block = run.summary["generator"]
    assert block["processes"]["local"]["seconds"] >= 1
    assert block["bound"] is False, block
    assert "GENERATOR-BOUND" not in run.stdout and "generator local: CPU" in run.stdout
    assert BANNER_ID not in (run.run_dir / "report.html").read_text()


def test_a_distributed_run_reports_every_worker(tmp_path: Path, registry: RegistryProcess) -> None:
    run = run_locust(tmp_path, "--host", registry.url, "--processes", "2", "-u", "2", "-r", "2", "-t", "4s",
                     "--think-time", "0.2", "BlobHead", timeout=150)
    assert run.returncode == 0, run.output
    processes = run.summary["generator"]["processes"]
    assert {"master", "worker-1", "worker-2"} <= set(processes), processes
    workers = processes["worker-1"]["http_requests"] + processes["worker-2"]["http_requests"]
    assert 0 < workers <= run.summary["http"]["requests"]
