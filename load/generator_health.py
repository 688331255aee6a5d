"""Is the load generator the limit? CPU use and event-loop lag of every Locust process during a run.

Every Locust process (local, master, each worker) runs `HealthSampler.run` in a greenlet: it sleeps
`SAMPLE_S` and records how late it woke up (the gevent loop's lag: how long ready greenlets made it wait),
plus, per wall-clock second:
- the CPU seconds of the whole process (`os.times`, every thread: hashing in the real-thread pool counts);
- the CPU seconds of the main thread (`time.thread_time` in the loop's thread: the one core all users of
  the process share), and the time it was runnable but waited for a CPU (Linux
  `/proc/thread-self/schedstat`: the machine starving the generator);
- the HTTP requests it sent (`count_request`, from Locust's request event).
Workers ship their seconds to the master in Locust's worker reports (`drain`); the master keeps them per
process (`merge`).

`verdict` turns the seconds inside the run window into the summary's `generator` block. A process is
*generator-bound* when its main thread was busy (running or waiting for a CPU >= `BUSY_FRACTION` of the
time: it always had work) in at least `BUSY_SHARE` of the run's seconds, or when the median of its
per-second loop lag reached `LAG_BOUND_MS` (its users waited for the loop, not for the registry). A bound
run says so on the console, in `summary.json` and at the top of `report.html`: its figures are the rig's
limit, not the registry's capacity. This module never imports locust or gevent (the sleep is handed in).
"""

from __future__ import annotations

import html
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

REPORT_KEY = "registry_harness_generator"
SAMPLE_S = 0.1
BUSY_FRACTION = 0.9
BUSY_SHARE = 0.5
LAG_BOUND_MS = 50.0
FIELDS = 8
SCHEDSTAT = Path("/proc/thread-self/schedstat")
MESSAGE = "generator-bound: these figures are the rig's limit, not the registry's capacity"


def process_cpu_seconds() -> float:
    """User + system CPU seconds of this process, all threads."""
    times = os.times()
    return times.user + times.system


def thread_wait_seconds() -> float:
    """Seconds the calling thread spent runnable but waiting for a CPU (Linux schedstat; 0 without it)."""
    try:
        return int(SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class Sample(NamedTuple):
    """One sample interval: its wall seconds, CPU seconds (process, main thread), lag, main-thread wait."""

    wall: float
    cpu: float
    main: float
    lag_ms: float
    wait: float = 0.0


class HealthSampler:
    """Per-second CPU and loop-lag samples of this process (on the master: of every process, merged)."""

    def __init__(self, clock: Callable[[], float] = time.time,
                 process_cpu: Callable[[], float] = process_cpu_seconds,
                 thread_cpu: Callable[[], float] = time.thread_time,
                 thread_wait: Callable[[], float] = thread_wait_seconds,
                 monotonic: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.process_cpu = process_cpu
        self.thread_cpu = thread_cpu
        self.thread_wait = thread_wait
        self.monotonic = monotonic
        self.own: dict[int, list[float]] = {}
        self.processes: dict[str, dict[int, list[float]]] = {}
        self.requests = 0

    def count_request(self) -> None:
        """Count one HTTP request this process sent (it lands in the second of the next sample)."""
        self.requests += 1

    # second -> [wall covered, process CPU s, main-thread CPU s, lag sum ms, lag samples, lag max ms,
    #            HTTP requests, main thread's wait for a CPU s]
    def record(self, second: int, sample: Sample) -> None:
        """Add one sample interval (ending in `second`) to that second's totals."""
        bucket = self.own.setdefault(second, [0.0] * FIELDS)
        bucket[0] += sample.wall
        bucket[1] += sample.cpu
        bucket[2] += sample.main
        bucket[3] += sample.lag_ms
        bucket[4] += 1
        bucket[5] = max(bucket[5], sample.lag_ms)
        bucket[6] += self.requests
        bucket[7] += sample.wait
        self.requests = 0

    def run(self, sleep: Callable[[float], Any], interval: float = SAMPLE_S) -> None:
        """Sample forever: sleep `interval`, then record the interval's CPU and how late the wake-up was."""
        last = self.monotonic(), self.process_cpu(), self.thread_cpu(), self.thread_wait()
        while True:
            sleep(interval)
            now = self.monotonic(), self.process_cpu(), self.thread_cpu(), self.thread_wait()
            wall, cpu, main, wait = (b - a for a, b in zip(last, now, strict=True))
            self.record(int(self.clock()), Sample(wall, cpu, main, max(0.0, (wall - interval) * 1000), wait))
            last = now

    def drain(self) -> dict[str, list[float]]:
        """Hand over (and forget) the seconds sampled since the last drain: one worker report, JSON-able."""
        data = {str(second): bucket for second, bucket in self.own.items()}
        self.own = {}
        return data

    def merge(self, process: str, data: dict[str, list[float]]) -> None:
        """Keep another process's drained seconds under its name."""
        target = self.processes.setdefault(process, {})
        for second_text, bucket in data.items():
            existing = target.setdefault(int(second_text), [0.0] * FIELDS)
            for index in (0, 1, 2, 3, 4, 6, 7):
                existing[index] += float(bucket[index])
            existing[5] = max(existing[5], float(bucket[5]))

    def keep_own(self, process: str) -> None:
        """File this process's own seconds under `process` (the master or the local runner, at the end)."""
        self.merge(process, self.drain())

    def reset(self) -> None:
        """Forget everything (a new test run)."""
        self.own = {}
        self.processes = {}
        self.requests = 0


def process_figures(seconds: dict[int, list[float]], started: float, stopped: float) -> dict[str, Any] | None:
    """One process's figures over the whole seconds inside [started, stopped] (None without any)."""
    window = [bucket for second, bucket in sorted(seconds.items())
              if started <= second and second + 1 <= stopped + 1e-9 and bucket[0] > 0]
    if not window:
        return None
    wall = sum(bucket[0] for bucket in window)
    cpu = sum(bucket[1] for bucket in window)
    main = sum(bucket[2] for bucket in window)
    wait = sum(bucket[7] for bucket in window)
    requests = int(sum(bucket[6] for bucket in window))
    busy = sum(1 for bucket in window if (bucket[2] + bucket[7]) / bucket[0] >= BUSY_FRACTION)
    lags = [bucket[3] / bucket[4] for bucket in window if bucket[4]]
    busy_share = busy / len(window)
    lag_median = statistics.median(lags) if lags else 0.0
    reasons = []
    if busy_share >= BUSY_SHARE:
        reasons.append(f"main thread running or waiting for a CPU >= {BUSY_FRACTION:.0%} of the time in "
                       f"{busy}/{len(window)} s (running {main / wall:.0%}, waiting {wait / wall:.0%})")
    if lag_median >= LAG_BOUND_MS:
        reasons.append(f"median event-loop lag {lag_median:.0f} ms (>= {LAG_BOUND_MS:.0f} ms)")
    return {
        "seconds": len(window),
        "wall_seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        "main_thread_cpu_seconds": round(main, 3),
        "cpu_utilisation": round(cpu / wall, 3),
        "main_thread_utilisation": round(main / wall, 3),
        "main_thread_waiting": round(wait / wall, 3),
        "busy_seconds": busy,
        "busy_share": round(busy_share, 3),
        "http_requests": requests,
        "requests_per_cpu_second": round(requests / cpu, 1) if cpu > 0 else 0.0,
        "loop_lag_median_ms": round(lag_median, 2),
        "loop_lag_max_ms": round(max((bucket[5] for bucket in window), default=0.0), 2),
        "bound": bool(reasons),
        "reasons": reasons,
    }


def verdict(processes: dict[str, dict[int, list[float]]], started: float, stopped: float) -> dict[str, Any]:
    """The summary's `generator` block: figures per process, `bound` if any process was, and why."""
    figures = {name: result for name, seconds in sorted(processes.items())
               if (result := process_figures(seconds, started, stopped)) is not None}
    reasons = [f"{name}: {reason}" for name, result in figures.items() for reason in result["reasons"]]
    bound = bool(reasons)
    return {
        "bound": bound,
        "message": MESSAGE if bound else "",
        "reasons": reasons,
        "thresholds": {"busy_fraction": BUSY_FRACTION, "busy_share": BUSY_SHARE, "loop_lag_ms": LAG_BOUND_MS},
        "processes": figures,
    }


def console_lines(block: dict[str, Any]) -> list[str]:
    """What the console says about the generator: one line per process, and the flag when bound."""
    lines = []
    for name, result in block.get("processes", {}).items():
        busy = f"{result['busy_seconds']}/{result['seconds']} s"
        lines.append(f"generator {name}: CPU {result['cpu_utilisation']:.0%} (main thread running "
                     f"{result['main_thread_utilisation']:.0%}, waiting for a CPU "
                     f"{result['main_thread_waiting']:.0%}, busy {busy}), loop lag median "
                     f"{result['loop_lag_median_ms']:.0f} ms, max {result['loop_lag_max_ms']:.0f} ms")
    if block.get("bound"):
        lines.append(f"GENERATOR-BOUND: {MESSAGE} ({'; '.join(block['reasons'])})")
    return lines


def banner(block: dict[str, Any]) -> str:
    """An HTML banner for the top of report.html when the run was generator-bound, else ''."""
    if not block.get("bound"):
        return ""
    reasons = "".join(f"<li>{html.escape(reason)}</li>" for reason in block["reasons"])
    return ('<div id="registry-harness-generator-bound" style="font-family:sans-serif;background:#b00020;'
            'color:white;padding:1em 2em;font-size:1.1em">'
            f"<strong>{html.escape(MESSAGE[0].upper() + MESSAGE[1:])}.</strong>"
            f"<ul style='margin:0.5em 0 0 0'>{reasons}</ul></div>")


def with_banner(locust_html: str, block: dict[str, Any]) -> str:
    """Locust's HTML report with the banner right after its (last) `<body>` tag; unchanged when not bound."""
    section = banner(block)
    if not section or 'id="registry-harness-generator-bound"' in locust_html:
        return locust_html
    at = locust_html.rfind("<body>")  # the last one: the inlined UI bundle contains the string too
    if at < 0:
        return section + locust_html
    at += len("<body>")
    return locust_html[:at] + section + locust_html[at:]


def add_banner_to_file(path: Path, block: dict[str, Any]) -> None:
    """Add the banner to an HTML report Locust already wrote (`--html`), when the run was bound."""
    if block.get("bound"):
        path.write_text(with_banner(path.read_text(encoding="utf-8"), block), encoding="utf-8")


HEALTH = HealthSampler()
"""This process's sampler: `hooks` runs it in a greenlet; on the master it also holds the workers' seconds."""
