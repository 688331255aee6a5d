"""The whole suite through a registry with every hosted manner at once passes, and the reports show them.

The bundled reference server behind one proxy that (a) answers every 20th request 429 with
`Retry-After: 1`, (b) wants anonymous Bearer tokens and answers every blob GET with a 307 to a storage
origin on 127.0.0.2 that refuses any request carrying `Authorization`, (c) leaves a pushed tag out of
`tags/list` for 2 s (and a deleted one in), (d) hides the referrers API (plain 404, no `OCI-Subject`), so
clients fall back to the referrers tag schema. The whole suite runs through it in four pytest-xdist
processes (the waits are sleeps) with `--registry-settle-time 5` and a retry budget that fits ~5% 429s.

Nothing may fail, warn or error; the checks that end unsupported are exactly those whose feature the rig
takes away or that need what a URL run does not have (credentials for the auth checks). results.json
must show the retries (as many as the proxy answered 429), the observed tag-list lag (about 2 s), the
referrers mechanism ("fallback"); the storage origin must have served blobs and never seen `Authorization`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.registries import start_reference_server
from tests.conformance.broken import faults
from tests.conformance.broken.hosted_faults import LAG, LaggingTagLists, RateLimitEveryNth
from tests.conformance.broken.proxy import FaultProxy
from tests.conformance.broken.referrers_faults import HideReferrersApi
from tests.conformance.broken.suite_runs import SuiteRun, run_suite

SUITES = Path(__file__).resolve().parents[3] / "conformance" / "suites"
SETTLE = 5.0
UNSUPPORTED_PREFIXES = (
    "test_auth.py::",  # a URL run without OCI_USERNAME/OCI_PASSWORD: no users to check auth with
    "test_referrers.py::",  # the API is hidden
    "test_errors.py::test_malformed_digest_is_refused[referrers GET]",
    "test_properties.py::test_referrers_of_any_artifact_set_match_the_model",
    # no API and the rig does not write the referrers tag itself: clients keep it
    "test_referrers_fallback.py::test_registry_maintained_referrers_tag_lists_each_referrer",
    # the reference server advertises no minimum chunk size
    "test_uploads.py::test_chunks_sized_to_the_advertised_minimum_are_accepted",
)


@dataclass
class HostedRun:
    """The run and the rig pieces whose counts the assertions compare with it."""

    run: SuiteRun
    limits: RateLimitEveryNth
    lag: LaggingTagLists
    auth: faults.AnonymousBearerAuth
    storage: faults.StorageServer


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostedRun]:
    modules = sorted(path.name for path in SUITES.glob("test_*.py"))
    with start_reference_server() as upstream:
        storage = faults.StorageServer(upstream.url)
        limits, lag, auth = RateLimitEveryNth(), LaggingTagLists(), faults.AnonymousBearerAuth()
        rig = [auth, limits, faults.RedirectBlobGets(storage), HideReferrersApi(), lag]
        try:
            with FaultProxy(upstream.url, rig) as proxy:
                run = run_suite(proxy.url, modules, tmp_path_factory.mktemp("hosted") / "run", timeout=30.0,
                                bound=900.0, workers=4,
                                extra_args=["--registry-settle-time", str(SETTLE),
                                            "--registry-retry-budget", "900"])
        finally:
            storage.stop()
        yield HostedRun(run, limits, lag, auth, storage)


@pytest.mark.timeout(1000)
def test_the_whole_suite_passes_through_every_hosted_manner(hosted: HostedRun) -> None:
    run = hosted.run
    counts = run.results["counts"]
    bad = {key: f"{outcome}: {run.message(key)[:500]}" for key, outcome in run.outcomes.items()
           if outcome in ("failed", "warned", "error")}
    assert not bad, f"{bad}\n{run.output[-3000:]}"
    assert counts["failed"] == counts["warned"] == counts["error"] == 0
    assert counts["passed"] > 250, counts
    unexpected = [key for key, outcome in run.outcomes.items()
                  if outcome == "unsupported" and not key.startswith(UNSUPPORTED_PREFIXES)]
    assert unexpected == [], {key: run.message(key)[:300] for key in unexpected}
    assert run.returncode == 0


@pytest.mark.timeout(1000)
def test_the_reports_show_the_retries_the_lag_and_the_mechanism(hosted: HostedRun) -> None:
    results = hosted.run.results
    retries = results["retries"]
    assert hosted.limits.limited > 50
    assert retries["by_status"] == {"429": hosted.limits.limited} and retries["exhausted"] == 0
    notes = " ".join(results["notes"])
    assert f"the registry rate-limited: {hosted.limits.limited} retries" in notes
    tags = results["settle"]["kinds"]["tags"]
    assert hosted.lag.edited > 0 and tags["polled"] > 5 and tags["unsettled"] == 0
    assert LAG * 0.5 < tags["max_lag_seconds"] < SETTLE
    assert "list lag (settle time 5 s): tags" in notes
    mechanism = [entry for entry in results["capabilities"] if entry["name"] == "referrers_mechanism"]
    assert [entry["value"] for entry in mechanism] == ["fallback"], mechanism


@pytest.mark.timeout(1000)
def test_redirected_blobs_came_from_storage_without_the_registrys_token(hosted: HostedRun) -> None:
    assert hosted.storage.served > 50, "the blob redirects were not exercised"
    assert hosted.storage.authorization_seen == [], "Authorization reached the storage origin"
    assert hosted.auth.tokens, "no token was fetched: the registry's auth was not exercised"
