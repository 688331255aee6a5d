"""Real replays: the fixtures against the bundled reference server and distribution 2.8.2, mix reproduced.

Every recorded `METHOD route class` count must come back as answered (non-registry paths are skipped and
reported), the bodies the trace recorded must be the sizes received and sent, and lag must be measured.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.registries import (
    RegistryProcess,
    distribution_available,
    start_distribution,
    start_reference_server,
)
from load.replay.__main__ import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "replay"


@pytest.fixture(scope="module")
def reference() -> Iterator[RegistryProcess]:
    with start_reference_server() as process:
        yield process


def run(tmp_path: Path, trace: Path, url: str, *extra: str) -> dict[str, Any]:
    out = tmp_path / "replay.json"
    code = main([str(trace), "--registry-url", url, "--json", str(out), "--run-dir", str(tmp_path / "run"),
                 "--pool-size", "2MiB", "--verify-share", "1", *extra])
    assert code == 0
    summary: dict[str, Any] = json.loads(out.read_text())
    return summary


def assert_reproduced(summary: dict[str, Any], skipped: int = 0) -> None:
    requests = summary["requests"]
    for key, counts in requests["by_key"].items():
        if " other " in key:
            assert counts["answered"] == 0
            continue
        assert counts["recorded"] == counts["sent"] == counts["answered"], (key, counts, requests)
    assert requests["total"]["recorded"] == requests["total"]["answered"] + skipped
    assert requests["by_status_class"]["sent"] == requests["by_status_class"]["answered"]
    assert requests["mix_reproduced"] and requests["mismatched"] == 0
    checks = summary["checks"]
    assert checks["sizes_checked"] > 0 and checks["sizes_checked"] == checks["sizes_matched"], summary
    assert checks["upload_sizes_checked"] == checks["upload_sizes_matched"]
    assert checks["digests_checked"] > 0 and checks["digest_mismatches"] == 0
    assert summary["lag"]["max_ms"] >= summary["lag"]["p50_ms"] >= 0
    assert summary["rate"]["achieved_rps"] and summary["rate"]["scheduled_rps"]


def test_combined_log_at_speed_10_against_the_reference_server(tmp_path: Path,
                                                               reference: RegistryProcess) -> None:
    summary = run(tmp_path, FIXTURES / "combined.log", reference.url, "--speed", "10")
    assert_reproduced(summary, skipped=1)
    assert summary["requests"]["skipped"] == {"not a registry API path": 1}
    assert summary["rate"]["scheduled_duration_s"] == pytest.approx(0.5)
    assert summary["rate"]["actual_duration_s"] >= 0.45  # it kept to the schedule, never ran ahead of it
    # the two recorded bodies exactly, plus whatever error body this registry writes for the recorded 404
    assert summary["operations"]["blob GET"]["bytes_down"] > 1500 + 300000
    assert summary["operations"]["upload PATCH"]["bytes_up"] == 65536
    for name in ("summary.json", "replay.html", "replay_mix.csv", "requests.csv", "throughput.png"):
        assert (tmp_path / "run" / name).stat().st_size > 0


def test_ibm_trace_on_its_recorded_schedule(tmp_path: Path, reference: RegistryProcess) -> None:
    summary = run(tmp_path, FIXTURES / "ibm_trace.json", reference.url)
    assert_reproduced(summary)
    assert summary["requests"]["by_status_class"]["answered"] == {"2xx": 9, "4xx": 3}
    assert summary["rate"]["actual_duration_s"] >= 3.0 * 0.95  # 3.1 s recorded, replayed at speed 1


@pytest.mark.skipif(not distribution_available(), reason="docker-registry (distribution 2.8.2) not installed")
def test_both_fixtures_against_distribution(tmp_path: Path) -> None:
    with start_distribution() as registry:
        assert_reproduced(run(tmp_path / "c", FIXTURES / "combined.log", registry.url, "--speed", "10"), 1)
        assert_reproduced(run(tmp_path / "i", FIXTURES / "ibm_trace.json", registry.url, "--speed", "10"))


def test_a_401_without_auth_on_the_target_is_reported_not_faked(tmp_path: Path,
                                                                 reference: RegistryProcess) -> None:
    trace = tmp_path / "auth.jsonl"
    trace.write_text('{"t": 0, "method": "GET", "path": "/v2/", "status": 401}\n'
                     '{"t": 0.01, "method": "GET", "path": "/v2/", "status": 200}\n')
    summary = run(tmp_path, trace, reference.url)
    requests = summary["requests"]
    assert requests["not_reproducible"] == {"401 but the target requires no auth": 1}
    assert requests["by_key"]["GET base 4xx"] == {"recorded": 1, "sent": 1, "answered": 0}
    assert not requests["mix_reproduced"] and requests["mismatched"] == 1
