"""The pytest plugin of registry-harness conformance (pytest11 entry point `conformance.plugin`).

It wires pytest's lifecycle to the verdict model (`conformance.verdicts`):

- options: one group "registry-harness conformance" (`conformance.options`), resolved once at configure;
- markers: `rules`, `feature`, `writes`, the four categories and the area markers (`MARKERS`);
- collection: checks of a switched-off category/feature get skipped as "disabled: <switch>" (so reports
  count them), `--registry-filter`/OCI_FILTER_TEST deselects;
- per check: a `VerdictRecorder` collects SHOULD warnings, notes and HTTP transcripts; the makereport
  hook classifies the outcome (MUST/assert/SetupFailed/transport -> failed, anything else -> error),
  adds an "HTTP transcript" report section on failures and attaches the verdict payload to the report
  (it travels through pytest-xdist with the report);
- session end: `results.json` and `junit.xml` in the report directory (`conformance.results`), the report
  folder and a one-line verdict in the terminal summary (plus one line when cleanup left content behind).

Nothing happens unless the session contains conformance checks (items using our fixtures or markers):
`pytest tests` loads this plugin too, and it must stay inert and never start a registry there.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance import fixtures
from conformance.checks.settle import SettlePolicy, configure_settle
from conformance.checks.settle_tally import settle_note
from conformance.cleanup_ledger import terminal_line
from conformance.client.quota import requests_note
from conformance.client.retries import retries_note
from conformance.client.transport import check_deadline
from conformance.expectations.plugin import apply_expectation, expectations_summary, load_run_expectations
from conformance.options import RunConfig, add_options, resolve_config
from conformance.outcomes import phase_payload
from conformance.profiles.apply import PROFILE_KEY, add_profile_option, apply_profile, profile_json
from conformance.results import RunResults, default_report_dir, write_reports
from conformance.session import STATE_KEY, RunState
from conformance.switches import CATEGORIES, SWITCHES_BY_NAME
from conformance.verdicts import (
    DISABLED_PREFIX,
    HarnessError,
    Outcome,
    VerdictRecorder,
    VerdictSettings,
    configure,
    recording,
)

pytest_plugins = (fixtures.__name__, "conformance.hypothesis_profiles")

SUITES_DIR = Path(__file__).resolve().parent / "suites"

AREAS = ("uploads", "mounts", "tags", "referrers", "deletes", "errors", "grammar", "formats", "negotiation",
         "auth", "properties")
MARKERS: dict[str, str] = {
    "rules": "rules(*rules): the ledger rules (conformance.ledger) a check rests on",
    "feature": "feature(*names): optional features the check needs; skipped as disabled when switched off "
               "(--no-<name>, OCI_API_*/OCI_DATA_*)",
    "writes": "the check writes to the registry (push/delete); disabled by --no-push / --registry-read-only",
    "pull": "category: pull (official suite category)",
    "push": "category: push (official suite category)",
    "content_discovery": "category: content discovery (tag list, referrers)",
    "content_management": "category: content management (deletes)",
    **{area: f"area: {area}" for area in AREAS},
}
OUR_FIXTURES = frozenset({"registry_config", "registry_target", "client", "repo", "repo2", "cleanup",
                          "capabilities", "content", "content_seed", "referrers_supported", "workspace"})
TRANSCRIPT_SECTION = "HTTP transcript"


RECORDER_KEY = pytest.StashKey[VerdictRecorder]()
UNKNOWN_FEATURES_KEY = pytest.StashKey[list[str]]()
WORKER_NAMESPACE_KEY = "registry_harness_namespace"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the conformance options (one group)."""
    add_options(parser)
    add_profile_option(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Register markers, resolve the run configuration, and make SHOULD warnings errors when strict."""
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    run_config, config.stash[PROFILE_KEY] = apply_profile(resolve_config(config), config)
    workerinput = getattr(config, "workerinput", None)
    shared_namespace = workerinput.get(WORKER_NAMESPACE_KEY) if workerinput else None
    if shared_namespace and run_config.sources.get("namespace") == "default":
        run_config = dataclasses.replace(run_config, namespace=shared_namespace)
    configure(VerdictSettings(run_config.spec_version, run_config.strict_readings))
    configure_settle(SettlePolicy(run_config.settle_time))
    state = RunState(run_config)
    state.expectations = load_run_expectations(run_config)
    config.stash[STATE_KEY] = state
    config.pluginmanager.register(state, "registry-harness-run-state")
    if run_config.strict:
        config.addinivalue_line("filterwarnings", "error::conformance.verdicts.ShouldViolation")


def _is_suite_run(config: pytest.Config) -> bool:
    """True when the command line names the suites (or a folder holding them) or a registry to check."""
    if config.getoption("registry_url") is not None:
        return True
    base = config.invocation_params.dir
    for arg in config.args:
        path = (base / arg.split("::", 1)[0]).resolve()
        if path == SUITES_DIR or SUITES_DIR in path.parents or path in SUITES_DIR.parents:
            return True
    return False


def pytest_report_header(config: pytest.Config) -> list[str]:
    """One line with the registry, namespace and mode when the suites run (nothing for other tests)."""
    if not _is_suite_run(config):
        return []
    run_config = config.stash[STATE_KEY].run_config
    distribution = os.environ.get(fixtures.BUNDLED_ENV) == "distribution"
    bundled = "distribution 2.8.2" if distribution else "reference server"
    target = run_config.url or f"the bundled {bundled} (started on first use)"
    flags = (("strict", run_config.strict), ("strict readings", run_config.strict_readings),
             ("read-only", run_config.read_only))
    modes = [word for word, on in flags if on]
    off = [name for name in run_config.switches if not run_config.enabled(name)
           and (SWITCHES_BY_NAME[name].default or run_config.sources.get(name) != "default")]
    profile = config.stash.get(PROFILE_KEY, None)
    lines = [f"registry-harness conformance: {target}, namespace {run_config.namespace}, "
             f"spec {run_config.spec_version}, timeout {run_config.timeout:g} s"
             f"{''.join(', ' + mode for mode in modes)}"
             f"{f', profile {profile.profile.name}' if profile is not None else ''}"]
    if profile is not None:
        lines.extend(profile.header_lines())
    expectations = config.stash[STATE_KEY].expectations
    if expectations is not None:
        lines.append(f"expectations: {expectations.path} ({len(expectations.entries)} entries)")
    if off:
        lines.append(f"switched off: {', '.join(off)}")
    return lines


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """On the xdist controller: give every worker the run's namespace so one run pushes under one prefix."""
    node.workerinput[WORKER_NAMESPACE_KEY] = node.config.stash[STATE_KEY].run_config.namespace


IDENTIFYING_MARKERS = ("rules", "feature", "writes", *CATEGORIES)


def _uses_our_fixtures(item: pytest.Item) -> bool:
    """True when a fixture the item sees is defined by `conformance.fixtures` (not a same-named one)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    for name in set(info.names_closure) & OUR_FIXTURES:
        definitions = info.name2fixturedefs.get(name, ())
        if definitions and getattr(definitions[-1].func, "__module__", "") == fixtures.__name__:
            return True
    return False


def is_conformance_item(item: pytest.Item) -> bool:
    """True for conformance checks: they use our fixtures or carry a rules/category/feature marker.

    The harness's own tests (`pytest tests`) may define fixtures called `client` or `repo`; those do
    not make them checks, so nothing is recorded or reported for them.
    """
    if _uses_our_fixtures(item):
        return True
    return any(item.get_closest_marker(name) is not None for name in IDENTIFYING_MARKERS)


def _disabled_reason(item: pytest.Item, run_config: RunConfig) -> str | None:
    for category in CATEGORIES:
        if item.get_closest_marker(category) is not None and not run_config.enabled(category):
            return f"{category} category switched off ({run_config.off_reason(category)})"
    if item.get_closest_marker("writes") is not None and not run_config.enabled("push"):
        return f"check writes to the registry ({run_config.off_reason('push')})"
    for marker in item.iter_markers("feature"):
        for feature in marker.args:
            if not run_config.enabled(feature):
                return f"feature {feature} switched off ({run_config.off_reason(feature)})"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Apply --registry-filter (deselect) and the category/feature switches (skip as disabled)."""
    state = config.stash[STATE_KEY]
    run_config = state.run_config
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        if not is_conformance_item(item):
            kept.append(item)
            continue
        if run_config.filter and run_config.filter not in item.nodeid:
            deselected.append(item)
            continue
        unknown = [name for marker in item.iter_markers("feature") for name in marker.args
                   if name not in SWITCHES_BY_NAME]
        if unknown:
            item.stash[UNKNOWN_FEATURES_KEY] = unknown
            kept.append(item)
            continue
        reason = _disabled_reason(item, run_config)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=DISABLED_PREFIX + reason))
        kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
    state.conformance_items = sum(1 for item in items if is_conformance_item(item))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """Give each conformance check its own VerdictRecorder and its deadline for setup, call and teardown."""
    if not is_conformance_item(item):
        return (yield)
    recorder = VerdictRecorder()
    item.stash[RECORDER_KEY] = recorder
    with recording(recorder), check_deadline(item.config.stash[STATE_KEY].run_config.check_deadline):
        return (yield)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A check naming an unknown feature is a harness bug: report it as an error before it runs."""
    unknown = item.stash.get(UNKNOWN_FEATURES_KEY, None)
    if unknown:
        raise HarnessError(f"@pytest.mark.feature names unknown switch(es) {unknown}; "
                           f"known: {', '.join(SWITCHES_BY_NAME)}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Classify the phase, add the HTTP transcript section on failures, attach the verdict payload."""
    report: pytest.TestReport = yield
    recorder = item.stash.get(RECORDER_KEY, None)
    if recorder is None:
        return report
    payload = phase_payload(item, call, recorder, frozenset(MARKERS))
    if payload["transcript"] and payload["outcome"] in (Outcome.FAILED, Outcome.ERROR):
        report.sections.append((TRANSCRIPT_SECTION, payload["transcript"]))
    state = item.config.stash[STATE_KEY]
    if state.expectations is not None:
        apply_expectation(report, call.when, payload, state.expectations,
                          state.run_config.expectations_strict)
    report.conformance = payload  # type: ignore[attr-defined]
    return report


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    """Show harness errors in a check's body as ERROR, and registry refusals during setup as FAILED."""
    payload = getattr(report, "conformance", None)
    if not payload or not report.failed:
        return None
    if payload.get("expectation_failed"):
        return "failed", "U", "UNEXPECTED"
    if report.when == "call" and payload["outcome"] == Outcome.ERROR:
        return "error", "E", "ERROR"
    if report.when == "setup" and payload["outcome"] == Outcome.FAILED:
        return "failed", "F", "FAILED"
    return None


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the xdist controller: merge what a worker learned (capabilities, headers, notes)."""
    payload = getattr(node, "workeroutput", {}).get("registry_harness")
    if payload:
        node.config.stash[STATE_KEY].merge_worker(payload)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Workers hand their findings to the controller; the controller (or a plain run) writes the reports."""
    config = session.config
    state = config.stash[STATE_KEY]
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["registry_harness"] = state.worker_payload()
        return
    if not state.results and not state.pending:
        return  # no check ran (none collected, all deselected, or --collect-only): nothing to report
    for nodeid, result in list(state.pending.items()):
        result.outcome = Outcome.ERROR.value
        result.message = result.message or "the check did not finish (worker crashed or run interrupted)"
        state.results.append(result)
        del state.pending[nodeid]
    run_config = state.run_config
    redacted = run_config.redacted()
    redacted["credentials"] = {"source": state.credentials_source}
    redacted["profile"] = profile_json(config.stash.get(PROFILE_KEY, None))
    retried = state.retries()
    retry_note = retries_note(retried)
    if retry_note:
        state.session_notes.add(retry_note)
    sent = state.requests()
    request_note = requests_note(sent)
    if request_note:
        state.session_notes.add(request_note)
    settled = state.settle()
    lag_note = settle_note(settled)
    if lag_note:
        state.session_notes.add(lag_note)
    results = RunResults(
        registry_url=state.registry_url,
        registry_bundled=state.registry_bundled,
        worker_urls=sorted(state.worker_urls),
        started_at=state.started_at,
        finished_at=datetime.now(UTC),
        config=redacted,
        server_headers=state.server_headers,
        capabilities=state.capabilities.as_table(),
        notes=sorted(state.session_notes),
        checks=sorted(state.results, key=lambda check: check.nodeid),
        retries=retried,
        settle=settled,
        requests=sent,
        spec_version=str(run_config.spec_version),
        strict_readings=run_config.strict_readings,
        expectations=expectations_summary(state.expectations, state.results,
                                          run_config.expectations_strict),
        cleanup=state.cleanup_ledger.summary(state.registry_url),
    )
    state.run_results = results
    if not run_config.report_enabled:
        return
    host = state.registry_url.split("://", 1)[-1] if state.registry_url else None
    invocation_dir = config.invocation_params.dir
    directory = run_config.report_dir or default_report_dir(invocation_dir, state.started_at, host)
    if not directory.is_absolute():
        directory = invocation_dir / directory
    write_reports(results, directory)
    state.report_dir = directory


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the one-line conformance verdict and where the reports are."""
    state = config.stash.get(STATE_KEY, None)
    if state is None or state.run_results is None:
        return
    terminalreporter.write_sep("-", "registry-harness conformance")
    results = state.run_results
    if results.registry_url is None:
        terminalreporter.write_line("registry: (not contacted)")
    else:
        bundled = " (bundled, started by the harness)" if results.registry_bundled else ""
        terminalreporter.write_line(f"registry: {results.registry_url}{bundled}")
    terminalreporter.write_line(f"conformance verdict: {results.verdict().upper()}: {results.summary_line()}")
    for note_text in results.notes:
        terminalreporter.write_line(f"note: {note_text}")
    cleanup_line = terminal_line(results.cleanup)
    if cleanup_line is not None:
        terminalreporter.write_line(cleanup_line, yellow=True)
    if results.expectations is not None:
        for line in results.expectation_lines():
            terminalreporter.write_line(line, bold=True, red=line.startswith("UNEXPECTED"))
    if state.report_dir is not None:
        terminalreporter.write_line(f"reports: {state.report_dir}")
