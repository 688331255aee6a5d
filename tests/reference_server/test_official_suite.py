"""The official OCI conformance suite passes against the bundled reference server with no failure.

The suite is `oci-conformance` from ../shared/peers/bin (built from opencontainers/distribution-spec
`conformance/`, commit 967efdc; ../shared/peers/README.md says how). It runs against our server with one and
with two workers, under its default 1.1 preset and its stricter `dev` preset (digest headers required,
upload cancel, tag parameters). Its junit.xml is read per test case: no case may end failed or error, and
nearly all must pass (the 1.1 preset leaves two optional APIs off: skipped).
"""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from conformance.registries import OFFICIAL_SUITE, peer_binary, peers_folder, start_reference_server

SUITE = peer_binary(OFFICIAL_SUITE)
pytestmark = pytest.mark.skipif(
    SUITE is None,
    reason=f"the official OCI conformance suite is missing: no executable {peers_folder() / OFFICIAL_SUITE} "
    "(../shared/peers/README.md says how to build it; REGISTRY_HARNESS_PEERS points elsewhere)",
)


def run_official(
    url_host: str, results: Path, version: str
) -> tuple[subprocess.CompletedProcess[str], Counter[str]]:
    """Run the official suite against `url_host` (host:port, plain HTTP); its exit and case statuses."""
    assert SUITE is not None
    results.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("OCI_")}
    env.update(OCI_REGISTRY=url_host, OCI_TLS="disabled", OCI_REPO1="conformance/repo1",
               OCI_REPO2="conformance/repo2", OCI_RESULTS_DIR=str(results), OCI_VERSION=version)
    completed = subprocess.run([str(SUITE)], env=env, cwd=results, capture_output=True, text=True,
                               timeout=300, check=False)
    junit = ET.parse(results / "junit.xml").getroot()
    statuses = Counter(case.get("status", "?") for case in junit.iter("testcase"))
    return completed, statuses


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("version", ["1.1", "dev"])
def test_official_suite_passes_with_no_failure(tmp_path: Path, workers: int, version: str) -> None:
    extra = ["--workers", str(workers)] if workers > 1 else []
    with start_reference_server(extra_args=extra) as server:
        completed, statuses = run_official(server.host, tmp_path / "results", version)
    output = completed.stdout[-6000:]
    print(f"official suite ({version} preset) against the reference server, {workers} worker(s): "
          f"{dict(statuses)}")
    assert statuses["failure"] == 0 and statuses["error"] == 0, output
    assert statuses["passed"] >= 600, (dict(statuses), output)  # 693 leaf cases with the 1.1 preset
    assert "OCI Conformance Result: Pass" in completed.stdout, output
    assert completed.returncode == 0, output
