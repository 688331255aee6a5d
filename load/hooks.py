"""Wiring of the load package into Locust's events; imported only by `load/locustfile.py`.

- `init_command_line_parser`: our options (`load.options`).
- `init` (master/local): validate options and thresholds (exit 2 with a message on bad input), drop
  User classes that `--tags` leaves without tasks, pick or start the target (`load.target`), install
  the `--shape`, the dashboard (`load.dashboard`) and the latency sampler.
- `test_start` / `test_stop` / `reset_stats`: run window and counter resets, in every process.
- `report_to_master` / `worker_report`: workers ship their `Counters` and generator-health seconds
  (`load.generator_health`: CPU and event-loop lag, sampled in every process) to the master.
- `quitting` (master/local): build the summary (with the `generator` verdict: a generator-bound run is
  flagged on the console, in summary.json and report.html), check thresholds (exit 3 and one line per
  breach), write the run folder, stop a registry we started.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.html import get_html_report
from locust.runners import MasterRunner, WorkerRunner

from load import dashboard, generator_health, summary, target, thresholds
from load.metrics import COUNTERS, REPORT_KEY
from load.options import LoadSettings, OptionError, add_arguments
from load.shapes import make_shape
from load.users.runtime import RUNTIME

logger = logging.getLogger("registry_harness.load")
LATENCY_SAMPLE_S = 1.0
SAMPLED_TYPES = ("OP", "TTFB", "XFER")


class RunState:
    """What the master/local process remembers about the current run."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.stopped: float | None = None
        self.registry: target.BundledRegistry | None = None
        self.thresholds: thresholds.Thresholds | None = None
        self.latency: list[dict[str, Any]] = []
        self.settings: LoadSettings | None = None
        self.worker_ids: set[str] = set()
        self.worker_names: dict[str, str] = {}
        self.users: list[dict[str, float]] = []
        self.run_dir: Path | None = None


STATE = RunState()


def _fatal(message: str) -> None:
    logger.error(message)
    sys.stderr.write(f"registry-harness load: {message}\n")
    sys.exit(2)


def _task_passes(task: Any, tags: set[str] | None, exclude: set[str] | None) -> bool:
    task_tags: set[str] = getattr(task, "locust_tag_set", set())
    if tags is not None and not task_tags & tags:
        return False
    return not (exclude is not None and task_tags & exclude)


def drop_untagged_classes(environment: Any) -> None:
    """Keep only User classes with at least one task selected by --tags/--exclude-tags."""
    options = environment.parsed_options
    tags = set(options.tags) if getattr(options, "tags", None) else None
    exclude = set(options.exclude_tags) if getattr(options, "exclude_tags", None) else None
    if tags is None and exclude is None:
        return
    kept = [cls for cls in environment.user_classes if any(_task_passes(t, tags, exclude) for t in cls.tasks)]
    if not kept:
        _fatal(f"no scenario has a task tagged {sorted(tags or [])} (excluding {sorted(exclude or [])})")
    environment.user_classes = kept


def default_run_dir(host: str) -> Path:
    """reports/load/<utc>_<host-port> under the project (or the working directory)."""
    root = Path(__file__).resolve().parent.parent
    base = root / "reports" if (root / "reports").is_dir() else Path.cwd() / "reports"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    label = host.split("://", 1)[-1].replace(":", "-").replace("/", "_") or "registry"
    return base / "load" / f"{stamp}_{label}"


def _sample_latency(environment: Any) -> None:
    """Every second: the user count; every LATENCY_SAMPLE_S: p50/p95 of the OP/TTFB/XFER rows."""
    ticks = 0
    while True:
        gevent.sleep(1.0)
        runner = environment.runner
        if STATE.started is None or runner is None or runner.state not in ("spawning", "running"):
            continue
        elapsed = round(time.time() - STATE.started, 1)
        STATE.users.append({"t": elapsed, "users": runner.user_count})
        ticks += 1
        if ticks % int(LATENCY_SAMPLE_S):
            continue
        for entry in list(runner.stats.entries.values()):
            if entry.method in SAMPLED_TYPES and entry.num_requests:
                p95 = entry.get_current_response_time_percentile(0.95)
                if p95:
                    STATE.latency.append({
                        "t": elapsed, "row": f"{entry.method} {entry.name}",
                        "p50_ms": entry.get_current_response_time_percentile(0.5) or 0, "p95_ms": p95,
                    })


def _add_arguments(parser: Any, **_: Any) -> None:
    add_arguments(parser)


def _on_init(environment: Any, runner: Any, web_ui: Any = None, **_: Any) -> None:
    # The event loop's cached clock can be seconds stale after the imports; Locust schedules the
    # --run-time stop from it right after init, which then fires early. Refresh it.
    gevent.get_hub().loop.update_now()
    try:
        settings = RUNTIME.configure(environment.parsed_options)
    except OptionError as exc:
        _fatal(str(exc))
        return
    gevent.spawn(generator_health.HEALTH.run, gevent.sleep)
    if isinstance(runner, WorkerRunner):
        return
    STATE.settings = settings
    drop_untagged_classes(environment)
    if settings.thresholds is not None:
        try:
            STATE.thresholds = thresholds.load(settings.thresholds)
        except thresholds.ThresholdConfigError as exc:
            _fatal(str(exc))
    try:
        STATE.registry = target.resolve(environment, settings.target)
    except target.TargetError as exc:
        _fatal(str(exc))
    shape = make_shape(settings)
    if shape is not None:
        shape.runner = runner
        environment.shape_class = shape
    if web_ui is not None:
        dashboard.install(web_ui, COUNTERS, lambda: STATE.started, lambda: str(runner.state))
    gevent.spawn(_sample_latency, environment)


def _on_test_start(environment: Any, **_: Any) -> None:
    try:
        RUNTIME.configure(environment.parsed_options)
    except OptionError as exc:
        logger.error("%s", exc)
    COUNTERS.reset()
    generator_health.HEALTH.reset()
    STATE.started, STATE.stopped = time.time(), None
    STATE.latency.clear()
    STATE.users.clear()
    STATE.worker_ids.clear()
    if not isinstance(environment.runner, MasterRunner):
        RUNTIME.pool  # noqa: B018  (build the content pool before users spawn)


def _on_test_stop(**_: Any) -> None:
    STATE.stopped = time.time()


def _on_reset_stats(**_: Any) -> None:
    COUNTERS.reset()
    STATE.started = time.time()


def _on_request(request_type: str, **_: Any) -> None:
    if request_type not in SAMPLED_TYPES:
        generator_health.HEALTH.count_request()


def _on_report_to_master(client_id: str, data: dict[str, Any], **_: Any) -> None:
    data[REPORT_KEY] = COUNTERS.drain()
    data[generator_health.REPORT_KEY] = generator_health.HEALTH.drain()


def _on_worker_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    COUNTERS.merge(data.get(REPORT_KEY) or {})
    STATE.worker_ids.add(client_id)
    name = STATE.worker_names.setdefault(client_id, f"worker-{len(STATE.worker_names) + 1}")
    generator_health.HEALTH.merge(name, data.get(generator_health.REPORT_KEY) or {})


def finish_run(environment: Any) -> None:
    """Summary, thresholds and the run folder of a finished run (master/local)."""
    if STATE.started is None:
        return
    stopped = STATE.stopped or time.time()
    runner = environment.runner
    options = environment.parsed_options
    meta = {
        **summary.environment_meta(),
        "host": environment.host,
        "bundled_target": STATE.registry is not None and (STATE.settings.target if STATE.settings else None),
        "user_classes": sorted(cls.__name__ for cls in environment.user_classes),
        "workers": len(STATE.worker_ids),
        "client_cpu_over_90_percent": bool(getattr(runner, "cpu_warning_emitted", False)
                                           or getattr(runner, "worker_cpu_warning_emitted", False)),
        "peak_users": max((h["user_count"][1] for h in runner.stats.history), default=runner.user_count),
        "locust_options": {k: getattr(options, k, None)
                           for k in ("num_users", "spawn_rate", "run_time", "tags")},
        "load_options": {k: ("(set)" if k == "bearer_token" and v else str(v))
                         for k, v in vars(STATE.settings).items()} if STATE.settings else {},
    }
    result = summary.build_summary(runner.stats, COUNTERS, started=STATE.started, stopped=stopped,
                                   meta=meta, latency=list(STATE.latency))
    result["users"] = list(STATE.users)
    health = generator_health.HEALTH
    health.keep_own("master" if isinstance(runner, MasterRunner) else "local")
    result["generator"] = generator_health.verdict(health.processes, STATE.started, stopped)
    if STATE.thresholds is not None:
        result["breaches"] = thresholds.check(result, STATE.thresholds)
    run_dir = Path(STATE.settings.run_dir) if STATE.settings and STATE.settings.run_dir \
        else default_run_dir(environment.host or "")
    try:
        html = get_html_report(environment, show_download_link=False)  # type: ignore[no-untyped-call]
    except Exception as exc:  # the report is a convenience; the summary must still be written
        logger.warning("could not render Locust's HTML report: %r", exc)
        html = None
    if html is not None:
        html = generator_health.with_banner(html, result["generator"])
    summary.write_run(run_dir, result, html)
    STATE.run_dir = run_dir
    html_file = getattr(options, "html_file", None)
    if html_file and Path(html_file).is_file():  # Locust wrote --html before quitting: add our chart to it
        summary.add_chart_to_file(Path(html_file), result["timeline"])
        generator_health.add_banner_to_file(Path(html_file), result["generator"])
    for name, figures in result["scenarios"].items():
        print(f"throughput {name}: {figures['mb_s_up']:.1f} MB/s up, {figures['mb_s_down']:.1f} MB/s down "
              f"({figures['operations']} operations)")
    for name, figures in result["image_pulls"].items():
        print(f"{name}: {figures['count']} pulls ({figures['failures']} failed), p50 {figures['p50_ms']} ms, "
              f"p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms")
    for line in summary.rate_limit_lines(result):
        print(line)
    for line in generator_health.console_lines(result["generator"]):
        print(line)
    print(f"run folder: {run_dir}")
    if STATE.thresholds is not None:
        for line in result["breaches"]:
            print(f"THRESHOLD BREACH: {line}")
        environment.process_exit_code = thresholds.BREACH_EXIT_CODE if result["breaches"] else 0
    sys.stdout.flush()


def _on_quitting(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    try:
        finish_run(environment)
    finally:
        if STATE.registry is not None:
            STATE.registry.stop()
            STATE.registry = None


def register() -> None:
    """Add the listeners to Locust's global events (the locustfile calls this once at import)."""
    listeners: dict[str, Any] = {
        "init_command_line_parser": _add_arguments,
        "init": _on_init,
        "test_start": _on_test_start,
        "test_stop": _on_test_stop,
        "reset_stats": _on_reset_stats,
        "request": _on_request,
        "report_to_master": _on_report_to_master,
        "worker_report": _on_worker_report,
        "quitting": _on_quitting,
    }
    for event_name, listener in listeners.items():
        hook: Any = getattr(events, event_name)
        hook.add_listener(listener)
