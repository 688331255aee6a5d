"""A registry that trickles its bodies never hangs a run: each affected check fails within its limit, naming
the request, and the run goes on to the next check (issue 12, "no hang, ever").

The registry is the bundled reference server behind the fault proxy, which sends every blob and manifest
GET body a few bytes at a time, never idle long enough for a per-read timeout (the official suite's
weakness). Two runs of the real suite, each a subprocess with a generous request deadline:

- with the default minimum body rate, each trickled GET ends as "body stalled" after the 5 s rate window;
- with the rate check off and a short check deadline, each affected check ends on its deadline.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.registries import start_reference_server
from tests.conformance.broken.proxy import Exchange, Fault, FaultProxy
from tests.conformance.broken.suite_runs import SuiteRun, run_suite

MODULES = ["test_blobs.py", "test_pull.py"]
SELECT = ["-k", "returns_the_exact_bytes or returns_the_pushed_bytes or head_answers_200"]
"""Two GET checks (a blob, a manifest) whose bodies trickle, and two HEAD checks that must still pass."""
REQUEST_DEADLINE = 30.0
STALL_WINDOW = 5.0


class TrickleBodies(Fault):
    """Blob and manifest GET bodies go out 4 bytes every 0.2 s (20 bytes/s)."""

    name = "trickle-bodies"

    def on_response(self, exchange: Exchange) -> None:
        if exchange.method == "GET" and exchange.status == 200 and len(exchange.body) > 64 and (
            "/blobs/sha256:" in exchange.path or "/manifests/" in exchange.path
        ):
            exchange.trickle = (4, 0.2)


@pytest.fixture(scope="module")
def trickling() -> Iterator[FaultProxy]:
    with start_reference_server() as upstream, FaultProxy(upstream.url, [TrickleBodies()]) as proxy:
        yield proxy


def _run(proxy: FaultProxy, report_dir: Path, *extra: str) -> SuiteRun:
    return run_suite(proxy.url, MODULES, report_dir, timeout=REQUEST_DEADLINE,
                     extra_args=[*SELECT, *extra], bound=120.0)


def _split(run: SuiteRun) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    checks = run.checks
    gets = {key: check for key, check in checks.items() if "head_answers" not in key}
    heads = {key: check for key, check in checks.items() if "head_answers" in key}
    assert len(gets) >= 2 and len(heads) >= 2, sorted(checks)
    return gets, heads


def test_trickled_bodies_fail_as_stalled_after_the_rate_window(trickling: FaultProxy, tmp_path: Path) -> None:
    run = _run(trickling, tmp_path / "rate")
    gets, heads = _split(run)
    for key, check in gets.items():
        assert check["outcome"] == "failed", (key, check["outcome"], run.output)
        message = run.message(key)
        assert "body stalled" in message and "GET http://" in message, message
        assert ("/blobs/sha256:" in message) or ("/manifests/" in message), message
        assert float(check["duration_seconds"]) < REQUEST_DEADLINE / 2, (key, check["duration_seconds"])
        rules = [finding["rule"] for finding in check["findings"]]
        assert "http-complete-answer" in rules, rules
    assert {check["outcome"] for check in heads.values()} == {"passed"}, heads
    assert run.elapsed < 60.0, run.elapsed


def test_trickled_bodies_end_on_the_check_deadline_without_a_rate(
    trickling: FaultProxy, tmp_path: Path
) -> None:
    run = _run(trickling, tmp_path / "deadline", "--registry-min-rate", "0", "--registry-check-deadline", "4")
    gets, heads = _split(run)
    for key, check in gets.items():
        assert check["outcome"] == "failed", (key, check["outcome"], run.output)
        message = run.message(key)
        assert "check deadline of 4 s exceeded" in message and "GET http://" in message, message
        took = float(check["duration_seconds"])
        assert 3.5 <= took < 4 + STALL_WINDOW, (key, took)
    assert {check["outcome"] for check in heads.values()} == {"passed"}, heads
