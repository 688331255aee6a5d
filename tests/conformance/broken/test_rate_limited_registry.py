"""A registry that rate-limits is no non-conformant registry (issue 13): behind a proxy that answers every
20th request with 429 and `Retry-After: 1`, the real suite passes with nothing failed, and the report
counts the retries and names the limits the registry announced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.registries import start_reference_server
from tests.conformance.broken.hosted_faults import RateLimitEveryNth
from tests.conformance.broken.proxy import FaultProxy
from tests.conformance.broken.suite_runs import run_suite

MODULES = ["test_blobs.py", "test_pull.py", "test_uploads.py"]


@pytest.fixture
def limited() -> Iterator[tuple[FaultProxy, RateLimitEveryNth]]:
    fault = RateLimitEveryNth()
    with start_reference_server() as upstream, FaultProxy(upstream.url, [fault]) as proxy:
        yield proxy, fault


def test_the_suite_passes_through_429s_and_reports_the_retries(
    limited: tuple[FaultProxy, RateLimitEveryNth], tmp_path: Path
) -> None:
    proxy, fault = limited
    run = run_suite(proxy.url, MODULES, tmp_path / "run", timeout=30.0, bound=300.0)
    counts = run.results["counts"]
    assert counts["failed"] == counts["error"] == 0, run.failed
    assert counts["passed"] > 30
    retries = run.results["retries"]
    assert fault.limited > 5 and retries["by_status"] == {"429": fault.limited}
    assert retries["exhausted"] == 0 and retries["largest_retry_after"] == 1.0
    assert retries["waited_seconds"] == pytest.approx(float(fault.limited))
    assert retries["rate_limit_headers"] == {"ratelimit-limit": "20;w=1"}
    notes = " ".join(run.results["notes"])
    assert f"the registry rate-limited: {fault.limited} retries" in notes
    assert "ratelimit-limit: 20;w=1" in notes
