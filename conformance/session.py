"""The state of one conformance session: configuration, target, findings, and the checks' results so far.

`RunState` lives in `config.stash[STATE_KEY]` and is registered as a plugin of its session, so its
`pytest_runtest_logreport` folds every phase report (setup, call, teardown) of a check into one
`CheckResult` — on the xdist controller as well, where the reports arrive from the workers with the
verdict payload the plugin's makereport hook attached (`report.conformance`). Its cleanup ledger
(`conformance.cleanup_ledger`) is the active one while a check runs; workers send theirs to the controller.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.capabilities import Capabilities
from conformance.checks.settle_tally import RUN_SETTLE, merge_settle
from conformance.cleanup_ledger import CleanupLedger, ledger_active
from conformance.client.errors import RequestLimitError
from conformance.client.quota import RUN_REQUESTS, merge_requests
from conformance.client.retries import RUN_RETRIES, merge_retries
from conformance.client.transport import deadline, deadline_transport
from conformance.expectations.file import ExpectationsFile
from conformance.options import RunConfig
from conformance.results import CheckResult, RunResults
from conformance.verdicts import Outcome


class RunState:
    """Per-session state of the plugin, kept in `config.stash[STATE_KEY]`."""

    def __init__(self, run_config: RunConfig) -> None:
        self.run_config = run_config
        self.capabilities = Capabilities()
        self.started_at = datetime.now(UTC)
        self.conformance_items = 0
        self.registry_url: str | None = run_config.url
        self.worker_urls: list[str] = []
        self.registry_bundled = run_config.url is None
        self.server_headers: dict[str, str] = {}
        self.credentials_source = "none"
        self.session_notes: set[str] = set()
        self.pending: dict[str, CheckResult] = {}
        self.results: list[CheckResult] = []
        self.report_dir: Path | None = None
        self.run_results: RunResults | None = None
        self.expectations: ExpectationsFile | None = None
        self.worker_retries: list[dict[str, Any]] = []
        self.worker_settle: list[dict[str, Any]] = []
        self.worker_requests: list[dict[str, Any]] = []
        self.cleanup_ledger = CleanupLedger()

    def target_started(self, target: Any, *, credentials_source: str) -> None:
        """Called by the `registry_target` fixture once the registry is known: record URL and headers."""
        self.registry_url = target.url
        self.registry_bundled = target.bundled
        self.credentials_source = credentials_source
        try:
            with httpx.Client(transport=deadline_transport(target.verify), timeout=target.timeout,
                              trust_env=False) as client, deadline(target.timeout):
                RUN_REQUESTS.acquire("GET /v2/ (session start)", target.timeout)  # a request the run sends
                response = client.get(f"{target.url}/v2/")
        except (httpx.HTTPError, RequestLimitError) as exc:
            self.server_headers = {"(error)": f"GET /v2/: {type(exc).__name__}: {exc}"}
            return
        headers = {"(status)": str(response.status_code)}
        if response.status_code == 401 and "WWW-Authenticate" in response.headers:
            scheme = response.headers["WWW-Authenticate"].split(" ", 1)[0]
            self.capabilities.record("auth", True, f"GET /v2/ asks for {scheme} authentication",
                                     evidence=f"GET /v2/ -> 401, WWW-Authenticate: {scheme} ...",
                                     source="session start")
        for name in ("Server", "Docker-Distribution-API-Version", "WWW-Authenticate"):
            if name in response.headers:
                headers[name] = response.headers[name]
        self.server_headers = headers

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold the phase reports of each check into its CheckResult (runs on the xdist controller too).

        RunState is registered as a plugin of its session, so this hook sees the state without globals.
        """
        payload = getattr(report, "conformance", None)
        if payload is not None:
            _fold(self, report, payload)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        """Make this run's cleanup ledger the active one while a check runs (property examples use it)."""
        with ledger_active(self.cleanup_ledger, item.nodeid):
            return (yield)

    def worker_payload(self) -> dict[str, Any]:
        """What an xdist worker sends to the controller at its end."""
        return {
            "registry_url": self.registry_url,
            "registry_bundled": self.registry_bundled,
            "server_headers": self.server_headers,
            "credentials_source": self.credentials_source,
            "capabilities": self.capabilities.as_table(),
            "session_notes": sorted(self.session_notes),
            "retries": RUN_RETRIES.as_json(),
            "settle": RUN_SETTLE.as_json(),
            "requests": RUN_REQUESTS.as_json(),
            "cleanup": self.cleanup_ledger.as_payload(),
        }

    def merge_worker(self, payload: dict[str, Any]) -> None:
        """Merge a worker's `worker_payload()` into the controller's state."""
        if self.registry_url is None or self.registry_bundled:
            self.registry_url = self.registry_url or payload.get("registry_url")
        if payload.get("registry_url") and payload["registry_url"] not in self.worker_urls:
            self.worker_urls.append(payload["registry_url"])
        self.server_headers = self.server_headers or dict(payload.get("server_headers", {}))
        if payload.get("credentials_source", "none") != "none":
            self.credentials_source = payload["credentials_source"]
        self.session_notes.update(self.capabilities.merge(payload.get("capabilities", [])))
        self.session_notes.update(payload.get("session_notes", []))
        self.worker_retries.append(payload.get("retries") or {})
        if payload.get("settle"):
            self.worker_settle.append(payload["settle"])
        if payload.get("requests"):
            self.worker_requests.append(payload["requests"])
        self.cleanup_ledger.merge(payload.get("cleanup", []))

    def retries(self) -> dict[str, Any]:
        """The retries of the run: this process's and every worker's, added up."""
        return merge_retries([RUN_RETRIES.as_json(), *self.worker_retries])

    def requests(self) -> dict[str, Any]:
        """The requests the run sent and what its limits did (`conformance.client.quota`): every process's."""
        blocks = self.worker_requests if self.worker_requests else [RUN_REQUESTS.as_json()]
        return merge_requests(blocks, max_rps=self.run_config.max_rps,
                              max_requests=self.run_config.max_requests)

    def settle(self) -> dict[str, Any]:
        """The settled list reads of the run (`conformance.checks.settle_tally`): every process's."""
        return merge_settle([RUN_SETTLE.as_json(), *self.worker_settle])


def _fold(state: RunState, report: pytest.TestReport, payload: dict[str, Any]) -> None:
    nodeid = report.nodeid
    result = state.pending.get(nodeid)
    if result is None:
        path, _, name = nodeid.rpartition("::")
        result = CheckResult(nodeid=nodeid, name=name, module=path, outcome=Outcome.PASSED)
        state.pending[nodeid] = result
    result.rules = payload["rules"]
    result.spec_refs = payload["spec_refs"]
    result.level = payload["level"]
    result.evaluated_rules = sorted(set(result.evaluated_rules) | set(payload["evaluated_rules"]))
    result.findings = result.findings + [item for item in payload["findings"] if item not in result.findings]
    if "expectation" in payload:
        result.expectation = payload["expectation"]
    result.categories = payload["categories"]
    result.features = payload["features"]
    result.markers = payload["markers"]
    result.warnings = payload["warnings"]
    result.notes = payload["notes"]
    result.duration_seconds = round(result.duration_seconds + report.duration, 6)
    phase_outcome = Outcome(payload["outcome"])
    if report.when == "call" or (report.when == "setup" and phase_outcome != Outcome.PASSED):
        result.outcome = phase_outcome.value
        result.message = payload["message"]
        if phase_outcome in (Outcome.FAILED, Outcome.ERROR):
            result.longrepr = report.longreprtext
    elif report.when == "teardown" and report.failed and result.outcome in (Outcome.PASSED, Outcome.WARNED):
        result.outcome = Outcome.ERROR.value
        result.message = f"teardown: {payload['message']}"
        result.longrepr = report.longreprtext
    if payload["transcript"] and result.outcome in (Outcome.FAILED, Outcome.ERROR, Outcome.WARNED):
        result.transcript = payload["transcript"]
    if report.when == "teardown":
        state.results.append(state.pending.pop(nodeid))



STATE_KEY = pytest.StashKey[RunState]()
