"""The trace replay as a Locust scenario: `locust -f load/locustfile.py --trace FILE [--speed N] TraceReplay`.

Options (each also an environment variable): `--trace` (LOAD_TRACE), `--trace-format` (LOAD_TRACE_FORMAT,
default auto), `--speed` (LOAD_SPEED, default 1), `--replay-namespace` (LOAD_REPLAY_NAMESPACE, default
`replay`). With `--trace` and no scenario named, only TraceReplay runs; without `--trace` it is dropped.

Every process with users replays one share of the trace: the chains (single requests and whole upload
sessions) are numbered in time order and a process takes those whose number modulo the worker count is
its worker index (`-u` must be at least the number of worker processes; one user per process does the
work, others idle). Each worker reads the trace file itself (the path must exist on every worker
machine), seeds what its share reads, then tells the master it is ready; when every worker is ready the
master sends one start time and all shares run on that clock (open model: chains start on schedule, each
in its own greenlet). A worker that finished tells the master; when all have, the run ends. Shares'
figures travel in the worker reports and are merged on the master, which adds `replay.json`,
`replay.html` and the CSV tables to the run folder and the summary under `replay` in summary.json.
Requests keep Locust's stats rows (`replay <route>`), seeding rows are `seed <route>`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import gevent
import gevent.event
import gevent.pool
from locust import events, task
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

from load import hooks
from load.replay import formats, report
from load.replay.exchange import Answer, ChainRun, Outgoing, verdict
from load.replay.plan import Plan, Step, build_plan
from load.replay.share import seed_steps, share_of
from load.replay.stats import ReplayStats
from load.replay.synthetic import ContentStore
from load.users.base import RegistryUser, body_parts
from load.users.runtime import RUNTIME, run_blocking
from load.users.tokens import BEARER

logger = logging.getLogger("registry_harness.load.replay")
REPORT_KEY = "registry_harness_replay"
START_DELAY_S = 0.5
BARRIER_TIMEOUT_S = 600.0


class ReplayState:
    """The replay figures of this process and, on the master, the barrier bookkeeping."""

    def __init__(self) -> None:
        self.stats = ReplayStats()
        self.ready: set[str] = set()
        self.done: set[str] = set()
        self.start = gevent.event.AsyncResult()
        self.claimed = False
        self.clock_start: float | None = None
        self.span = 0.0


STATE = ReplayState()


def _options(environment: Any) -> Any:
    return environment.parsed_options


def _add_arguments(parser: Any, **_: Any) -> None:
    group = parser.add_argument_group("registry-harness trace replay", "options of the TraceReplay scenario")
    group.add_argument("--trace", default="", env_var="LOAD_TRACE", help="trace file to replay")
    group.add_argument("--trace-format", default="auto", env_var="LOAD_TRACE_FORMAT", choices=formats.FORMATS)
    group.add_argument("--speed", default="1", env_var="LOAD_SPEED", help="divide inter-arrival times by N")
    group.add_argument("--replay-namespace", default="replay", env_var="LOAD_REPLAY_NAMESPACE",
                       help="repository namespace of the replay (a run id is added)")
    group.add_argument("--replay-run-id", default="", help="run id in repository names (default: random)")
    group.add_argument("--replay-workers", default="1", help="(set by the master to its worker count)")


def _fatal(message: str) -> None:
    sys.stderr.write(f"registry-harness load: {message}\n")
    sys.exit(2)


def _on_init(environment: Any, runner: Any, **_: Any) -> None:
    options = _options(environment)
    trace = getattr(options, "trace", "")
    named = set(getattr(options, "user_classes", None) or [])
    if isinstance(runner, WorkerRunner):
        runner.register_message("replay_start", _on_start_message)
        return
    if not trace:
        if "TraceReplay" in named:
            _fatal("TraceReplay needs --trace FILE")
        environment.user_classes = [c for c in environment.user_classes if c.__name__ != "TraceReplay"]
        return
    try:
        speed = float(options.speed)
        if speed <= 0:
            raise ValueError(speed)
        formats.load_trace(Path(trace), options.trace_format)
    except ValueError as exc:
        _fatal(f"--trace/--speed: {exc}")
    if not named:
        environment.user_classes = [c for c in environment.user_classes if c.__name__ == "TraceReplay"]
    if isinstance(runner, MasterRunner):
        runner.register_message("replay_ready", _on_ready)
        runner.register_message("replay_done", _on_done)


def _on_test_start(environment: Any, **_: Any) -> None:
    runner = environment.runner
    options = _options(environment)
    STATE.claimed = False
    STATE.start = gevent.event.AsyncResult()
    STATE.stats = ReplayStats()
    if isinstance(runner, WorkerRunner) or not getattr(options, "trace", ""):
        return
    STATE.ready.clear()
    STATE.done.clear()
    options.replay_run_id = options.replay_run_id or secrets.token_hex(3)
    workers = runner.worker_count if isinstance(runner, MasterRunner) else 1
    options.replay_workers = str(workers)
    if isinstance(runner, MasterRunner) and int(options.num_users or 0) < workers:
        logger.error("TraceReplay: -u %s is fewer than the %s workers; some shares would not run",
                     options.num_users, workers)


def _on_ready(environment: Any, msg: Any, **_: Any) -> None:
    STATE.ready.add(msg.node_id)
    if len(STATE.ready) >= int(_options(environment).replay_workers):
        environment.runner.send_message("replay_start", {"at": time.time() + START_DELAY_S})


def _on_done(environment: Any, msg: Any, **_: Any) -> None:
    STATE.done.add(msg.node_id)
    if len(STATE.done) >= int(_options(environment).replay_workers):
        gevent.spawn(environment.runner.quit)


def _on_start_message(environment: Any, msg: Any, **_: Any) -> None:
    STATE.start.set(float(msg.data["at"]))


def _on_report_to_master(client_id: str, data: dict[str, Any], **_: Any) -> None:
    data[REPORT_KEY] = STATE.stats.to_dict()
    STATE.stats = ReplayStats()


def _on_worker_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    if REPORT_KEY in data:
        STATE.stats.merge(data[REPORT_KEY])


def _on_quitting(environment: Any, **_: Any) -> None:
    options = _options(environment)
    run_dir = getattr(hooks.STATE, "run_dir", None)
    if isinstance(environment.runner, WorkerRunner) or not getattr(options, "trace", "") or run_dir is None:
        return
    parsed = formats.load_trace(Path(options.trace), options.trace_format)
    span = parsed.records[-1].t if parsed.records else 0.0
    summary = STATE.stats.summary(speed=float(options.speed), span=span, clock_start=STATE.clock_start)
    summary["trace"] = {"path": options.trace, "format": parsed.fmt, "records": len(parsed.records),
                        "lines_skipped": parsed.skipped}
    summary["workers"] = int(options.replay_workers)
    report.write_replay_files(Path(run_dir), summary, STATE.clock_start or time.time())
    report.add_to_summary(Path(run_dir), summary)
    requests = summary["requests"]
    print(f"replay: {requests['total']['sent']} of {requests['total']['recorded']} recorded requests sent, "
          f"mix reproduced: {requests['mix_reproduced']}, schedule lag p99 {summary['lag']['p99_ms']} ms")


def register() -> None:
    """Add the replay's listeners (after `hooks.register()`, so the run folder exists when ours runs)."""
    listeners: dict[str, Any] = {
        "init_command_line_parser": _add_arguments, "init": _on_init, "test_start": _on_test_start,
        "report_to_master": _on_report_to_master, "worker_report": _on_worker_report,
        "quitting": _on_quitting,
    }
    for event_name, listener in listeners.items():
        hook: Any = getattr(events, event_name)
        hook.add_listener(listener)


class TraceReplay(RegistryUser):
    """Replays this process's share of `--trace` on its recorded schedule (see the module docstring)."""

    def on_start(self) -> None:
        """Settings and auth as every scenario; a greenlet group for the chains."""
        super().on_start()
        self.chains = gevent.pool.Group()

    def on_stop(self) -> None:
        """Stop chains still running."""
        self.chains.kill(block=False)

    def send_step(self, step: Step, out: Outgoing) -> Answer:
        """One request through Locust's client; success when it reproduces the recorded status class."""
        url = out.url if out.url.startswith("http") else (self.host or "") + out.url
        url = self._resolve(url) if out.url.startswith("http") else url
        answer = Answer(None, sent=out.body_length)
        started = time.perf_counter()
        bearer: str | None = None
        for _ in range(2):
            headers = dict(out.headers)
            sent = (BEARER + bearer) if bearer else (self.authorization_for(url) if out.credentials else None)
            if sent:
                headers["Authorization"] = sent
            try:
                with gevent.Timeout(self.settings.request_timeout):
                    bearer = self._exchange(step, out, url, headers=headers, sent=sent, answer=answer,
                                            retried=bearer is not None)
            except gevent.Timeout:
                answer.error = f"no answer within {self.settings.request_timeout} s"
                break
            if bearer is None:
                break
        answer.latency = time.perf_counter() - started
        return answer

    def _exchange(self, step: Step, out: Outgoing, url: str, *, headers: dict[str, str], sent: str | None,
                  answer: Answer, retried: bool) -> str | None:
        name = f"{'seed' if step.index < -1 else 'replay'} {step.kind}"
        with self.client.request(out.method, url, name=name, headers=headers, data=out.body, stream=True,
                                 catch_response=True, timeout=self.timeout,
                                 allow_redirects=False) as response:
            status = getattr(response, "status_code", 0) or None
            hasher = hashlib.sha256() if out.expect_digest else None
            received = 0
            try:
                for part in body_parts(response) if status else ():
                    received += len(part)
                    if hasher is not None:
                        hasher.update(part)
            except Exception as exc:
                answer.error = f"{type(exc).__name__}: {exc}"[:300]
            answer.status, answer.received = status, received
            answer.location = response.headers.get("Location") if status else None
            answer.digest = "sha256:" + hasher.hexdigest() if hasher is not None and out.read_body else None
            if status == 401 and out.credentials and not retried:
                token = self.bearer_for_challenge(response.headers.get("WWW-Authenticate", ""), url, sent)
                if token:
                    response.success()
                    return token
            if verdict(step, answer) or step.index < -1:
                response.success()
            else:
                response.failure(f"answered {status}, the trace recorded {step.recorded}")
        return None

    def run_chain(self, store: ContentStore, steps: list[Step], start: float, speed: float) -> None:
        """One chain on the shared clock (epoch `start`)."""
        run = ChainRun(store, RUNTIME.settings.verify_share)
        for position, step in enumerate(steps):
            due = start + step.due / speed
            gevent.sleep(max(0.0, due - time.time()))
            began = time.time()
            out = run.request(step)
            if out is None:
                STATE.stats.unsent(step, "its upload session got no Location")
                continue
            answer = self.send_step(step, out)
            run.answered(step, answer)
            STATE.stats.record(step, out, answer, lag=began - due, started=began, dependent=position > 0)

    @task
    def replay(self) -> None:
        """Seed, wait for the common start, replay the share, report done."""
        if STATE.claimed:
            raise StopUser()
        STATE.claimed = True
        options = self.environment.parsed_options
        runner = self.environment.runner
        index = max(0, getattr(runner, "worker_index", 0))
        workers = max(1, int(options.replay_workers))
        parsed = formats.load_trace(Path(options.trace), options.trace_format)
        auth = self.anonymous_status() == 401
        namespace = f"{options.replay_namespace.strip('/')}/{options.replay_run_id or 'local'}"
        plan = build_plan(parsed.records, namespace=namespace, auth=auth)
        share = share_of(plan, index, workers)
        store = ContentStore(RUNTIME.pool, share.blob_sizes, share.manifest_sizes, run_blocking)
        STATE.stats.plan(share.steps)
        self.seed(share, store)
        start = self.wait_for_start(runner)
        STATE.clock_start = start
        speed = float(options.speed)
        for positions in share.chains:
            steps = [share.steps[p] for p in positions if share.steps[p].intent != "skip"]
            if steps:
                gevent.sleep(max(0.0, start + steps[0].due / speed - time.time() - 0.002))
                self.chains.spawn(self.run_chain, store, steps, start, speed)
        self.chains.join()
        if isinstance(runner, WorkerRunner):
            runner.send_message("replay_done", {"index": index})
        else:
            gevent.spawn_later(0.5, runner.quit)
        raise StopUser()

    def anonymous_status(self) -> int:
        """Status of an anonymous `GET /v2/` (401 means the target wants credentials)."""
        with self.client.get((self.host or "") + "/v2/", name="seed base", catch_response=True,
                             timeout=self.timeout) as response:
            response.success()
            return int(response.status_code or 0)

    def wait_for_start(self, runner: Any) -> float:
        """The common start time: from the master once every worker seeded; now in a local run."""
        if not isinstance(runner, WorkerRunner):
            return time.time() + 0.05
        runner.send_message("replay_ready", {"index": runner.worker_index})
        return float(STATE.start.get(timeout=BARRIER_TIMEOUT_S))

    def seed(self, plan: Plan, store: ContentStore) -> None:
        """Push what the share's reads need (blobs, config and base layer, manifests) before the clock."""
        for step, out in seed_steps(plan, store):
            answer = self.send_step(step, out)
            if answer.status not in (201, 202) or (out.method == "POST" and not answer.location):
                raise RuntimeError(f"seeding failed: {out.method} {out.url} answered {answer.status} "
                                   f"{answer.error}")
            step.ref = answer.location
