"""Legal variations make nothing fail: the suite through a proxy that changes only what the spec allows.

The proxy in front of the conforming reference server at once: requires anonymous bearer tokens (401 +
`WWW-Authenticate: Bearer realm=<proxy>/token,service=..,scope=..` without one; tokens for anyone at
/token), answers every blob GET with a 307 to a second loopback host ("storage", 127.0.0.2) that serves
the bytes, serves every other `Location` absolute and the others relative (path only, whatever form the
registry used), adds unrelated headers (and a well-formed `Warning: 299 - "..."`), and puts a structured
`detail` into every error body. Every check of the run must pass (or be unsupported, as against the bare
server); the storage host must have served blobs and never have received an `Authorization` header (the
client MUST NOT forward it across hosts); the token endpoint must have been used; both Location forms
must have been served many times.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from conformance.registries import RegistryProcess, start_reference_server
from tests.conformance.broken import faults
from tests.conformance.broken.proxy import FaultProxy
from tests.conformance.broken.suite_runs import SuiteRun, run_suite

MODULES = (
    "test_ping.py",
    "test_blobs.py",
    "test_pull.py",
    "test_uploads.py",
    "test_upload_sessions.py",
    "test_mounts.py",
    "test_manifests.py",
    "test_tags.py",
    "test_referrers.py",
    "test_deletes.py",
    "test_errors.py",
)


UNSUPPORTED_BY_THE_REFERENCE_SERVER = frozenset(
    {
        # the reference server advertises no minimum chunk size
        "test_uploads.py::test_chunks_sized_to_the_advertised_minimum_are_accepted",
    }
)
"""Checks that end "unsupported" against the bare reference server too; anything else must pass."""


@dataclass
class LegalRun:
    """The run and the parts of the proxy whose traces the assertions read."""

    run: SuiteRun
    auth: faults.AnonymousBearerAuth
    storage: faults.StorageServer
    locations: faults.MixedLocationForms


@pytest.fixture(scope="module")
def upstream() -> Iterator[RegistryProcess]:
    """The conforming registry behind the proxies: the bundled reference server."""
    with start_reference_server() as process:
        yield process


@pytest.fixture(scope="module")
def legal_run(upstream: RegistryProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LegalRun]:
    storage = faults.StorageServer(upstream.url)
    auth = faults.AnonymousBearerAuth()
    locations = faults.MixedLocationForms()
    variations = [
        auth,
        faults.RedirectBlobGets(storage),
        locations,
        faults.ExtraHeaders(),
        faults.ErrorDetail(),
    ]
    try:
        with FaultProxy(upstream.url, variations) as proxy:
            run = run_suite(proxy.url, MODULES, tmp_path_factory.mktemp("legal") / "run", timeout=10.0)
        yield LegalRun(run, auth, storage, locations)
    finally:
        storage.stop()


def test_legal_variations_fail_nothing(legal_run: LegalRun) -> None:
    run = legal_run.run
    bad = {
        key: f"{outcome}: {run.message(key)[:600]}"
        for key, outcome in run.outcomes.items()
        if outcome != "passed"
        and not (outcome == "unsupported" and key in UNSUPPORTED_BY_THE_REFERENCE_SERVER)
    }
    assert not bad, f"checks hit by legal variations: {bad}\n{run.output[-3000:]}"
    assert len(run.outcomes) > 100, f"only {len(run.outcomes)} checks ran"
    assert run.returncode == 0


def test_redirected_blob_gets_never_carry_authorization(legal_run: LegalRun) -> None:
    assert legal_run.storage.served > 0, (
        "no blob GET reached the storage host: the redirect was not exercised"
    )
    assert legal_run.storage.authorization_seen == [], "the client forwarded Authorization to another host"


def test_anonymous_bearer_tokens_were_used(legal_run: LegalRun) -> None:
    assert legal_run.auth.challenged > 0 and legal_run.auth.tokens, "no token was ever fetched"
    assert any(scope.startswith("repository:") for scope in legal_run.auth.scopes_requested)


def test_both_location_forms_were_served(legal_run: LegalRun) -> None:
    assert legal_run.locations.absolute > 10 and legal_run.locations.relative > 10, vars(legal_run.locations)
