"""Fixtures the conformance checks use; loaded by the plugin, so every check (and your own suites) sees them.

The plugin imports this module before pytest registers it, so it opts out of assertion rewriting
(PYTEST_DONT_REWRITE): its checks use `judge()`, not bare asserts, and pytest would otherwise warn that
it was imported too early to be rewritten.

Session scope (one per pytest process, i.e. per xdist worker):

    registry_config   RunConfig: url (None = bundled server), namespace, switches, timeout, TLS, strict, ...;
                      while it lives, the process's request limits are on (`quota.RUN_REQUESTS`: this
                      process's share of --registry-max-rps / --registry-max-requests)
    registry_target   RegistryTarget: the registry actually checked (.url, .host, .bundled, .credentials,
                      .verify, .timeout); starts the bundled reference server LAZILY on first use; its
                      clients refuse writes outside the run's namespaces (`WriteScope`)
    capabilities      Capabilities: what the registry has shown it supports
                      (`.require("mount")`, `.record(...)`, `.ensure(name, probe)`)
    referrers_supported   bool: probes the referrers API once (see `probe_referrers`); False only when
                      the registry answered 404 for an existing manifest (the spec's "not supported");
                      the probe's image is deleted at the session's end (recorded in the cleanup ledger)
    referrers_mechanism   "api" | "fallback" | "neither" | None: how referrers are found (the API, or the
                      referrers tag schema; see `conformance.referrers_mechanism`), recorded as the
                      capability `referrers_mechanism` with its reason

Function scope (fresh for every check):

    client            RegistryClient with its own Transcript; its requests show in the failure report
    repo, repo2       unique repository names `<namespace>/<test-name-slug>-<random>`; repo2 lives under
                      --registry-mount-namespace / OCI_REPO2 when given (a mount source)
    content_seed      int seed derived from the test's node id (stable across runs: failures replay)
    content           a `random.Random(content_seed)`: pass it as `seed=` to `conformance.content` builders
    cleanup           Cleanup: `cleanup.manifest(repo, digest)`, `cleanup.blob(repo, digest)`,
                      `cleanup.tag(repo, tag)`; deleted at teardown when deletes are enabled and only inside
                      the run's namespace; what was left becomes notes and goes into the run's cleanup
                      ledger (results.json `cleanup`), never a failure
    workspace         Workspace: the above in one object (`.client`, `.repo`, `.content`, `.cleanup`,
                      `.capabilities`, `.config`, `.target`, `.second_repo()`); what most checks take

Credentials come from OCI_USERNAME / OCI_PASSWORD, else Docker's config.json for the registry host; they
never appear in transcripts or reports (the client redacts them).
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from conformance import registries
from conformance.capabilities import Capabilities, Finding
from conformance.cleanup import Cleanup
from conformance.cleanup_ledger import CleanupRecord, check_notes
from conformance.client import (
    Credentials,
    RegistryClient,
    Transcript,
    WriteScope,
    credentials_from_docker_config,
    credentials_from_env,
)
from conformance.client.quota import RUN_REQUESTS, worker_share
from conformance.client.retries import RetryPolicy
from conformance.client.transport import check_deadline
from conformance.content import image_manifest
from conformance.options import RunConfig
from conformance.referrers_mechanism import NAME as MECHANISM
from conformance.referrers_mechanism import probe_mechanism
from conformance.session import STATE_KEY, RunState
from conformance.verdicts import current_recorder, note

BUNDLED_ENV = "REGISTRY_HARNESS_BUNDLED"
"""Which registry to start when no URL is given: "reference" (default) or "distribution" (Debian's 2.8.2)."""


@dataclass
class RegistryTarget:
    """The registry a run checks, once known: its URL and how to talk to it."""

    url: str
    bundled: bool
    credentials: Credentials | None
    verify: bool | str
    timeout: float
    process: registries.RegistryProcess | None = None
    min_rate: float = 0.0
    retry: RetryPolicy | None = None
    write_scope: WriteScope | None = None
    server_headers: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        """`host[:port]` of the registry, as OCI_REGISTRY spells it."""
        return urlsplit(self.url).netloc

    def new_client(self, transcript: Transcript | None = None, *, anonymous: bool = False) -> RegistryClient:
        """A `RegistryClient` for this target, recording into `transcript` (the running check's when None).

        `anonymous=True` gives a client without credentials (for checks of the unauthenticated path).
        """
        return RegistryClient(
            self.url,
            credentials=None if anonymous else self.credentials,
            verify=self.verify,
            timeout=self.timeout,
            transcript=transcript if transcript is not None else _recorded_transcript(),
            min_rate=self.min_rate,
            retry=self.retry,
            write_scope=self.write_scope,
        )


def _recorded_transcript() -> Transcript:
    """A fresh Transcript, attached to the running check (if any) so failures show its exchanges."""
    transcript = Transcript()
    recorder = current_recorder()
    if recorder is not None:
        recorder.add_transcript(transcript)
    return transcript


def plugin_state(config: pytest.Config) -> RunState:
    """The plugin's per-session state (`conformance.session.RunState`)."""
    return config.stash[STATE_KEY]


@pytest.fixture(scope="session")
def registry_config(pytestconfig: pytest.Config) -> Iterator[RunConfig]:
    """The resolved configuration of this run (command line > OCI_* > defaults).

    While it lives, this process's share of the run's request limits is on (`conformance.client.quota`).
    """
    config: RunConfig = plugin_state(pytestconfig).run_config
    max_requests = worker_share(config.max_requests, os.environ, whole=True)
    RUN_REQUESTS.limit(worker_share(config.max_rps, os.environ),
                       None if max_requests is None else int(max_requests))
    try:
        yield config
    finally:
        RUN_REQUESTS.lift()


def run_write_scope(config: RunConfig) -> WriteScope:
    """Where the run may write: its namespace and mount namespace (`conformance.client.namespaces`)."""
    return WriteScope.of(config.namespace, config.mount_namespace)


def _credentials_for(url: str, *, bundled: bool) -> tuple[Credentials | None, str]:
    """OCI_USERNAME/OCI_PASSWORD, else Docker's config.json entry for the host (not for a bundled server)."""
    from_env = credentials_from_env()
    if from_env is not None:
        return from_env, "OCI_USERNAME/OCI_PASSWORD"
    if bundled:
        return None, "none"
    from_docker = credentials_from_docker_config(urlsplit(url).netloc)
    if from_docker is not None:
        return from_docker, "docker config.json"
    return None, "none"


def _start_bundled() -> registries.RegistryProcess:
    kind = os.environ.get(BUNDLED_ENV, "reference")
    if kind == "distribution":
        return registries.start_distribution()
    if kind != "reference":
        raise pytest.UsageError(f"{BUNDLED_ENV}={kind!r} must be 'reference' or 'distribution'")
    return registries.start_reference_server()


@pytest.fixture(scope="session")
def registry_target(pytestconfig: pytest.Config, registry_config: RunConfig) -> Iterator[RegistryTarget]:
    """The registry under test; starts (and at the end stops) the bundled server when no URL is given."""
    state = plugin_state(pytestconfig)
    process: registries.RegistryProcess | None = None
    if registry_config.url is None:
        process = _start_bundled()
        url = process.url
    else:
        url = registry_config.url
    try:
        credentials, source = _credentials_for(url, bundled=process is not None)
        target = RegistryTarget(url, process is not None, credentials, registry_config.verify,
                                registry_config.timeout, process, min_rate=registry_config.min_rate,
                                retry=RetryPolicy(registry_config.max_retries,
                                                  budget=registry_config.retry_budget),
                                write_scope=run_write_scope(registry_config))
        state.target_started(target, credentials_source=source)
        yield target
    finally:
        if process is not None:
            process.stop()


@pytest.fixture(scope="session")
def capabilities(pytestconfig: pytest.Config) -> Capabilities:
    """The session's capability table (shared by every check of this process)."""
    table: Capabilities = plugin_state(pytestconfig).capabilities
    return table


@pytest.fixture
def client(registry_target: RegistryTarget) -> Iterator[RegistryClient]:
    """A `RegistryClient` with a fresh Transcript, attached to the running check's report."""
    registry_client = registry_target.new_client(_recorded_transcript())
    try:
        yield registry_client
    finally:
        registry_client.close()


_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")


def repository_slug(test_name: str, limit: int = 40) -> str:
    """A repository-name component made from a test name: lowercase alphanumerics joined by '-'."""
    slug = _SLUG_UNSAFE.sub("-", test_name.lower()).strip("-")[:limit].strip("-")
    return slug or "check"


def unique_repository(namespace: str, test_name: str, suffix: str = "") -> str:
    """`<namespace>/<slug>[-suffix]-<random>`: a repository no other check (or worker) uses."""
    return f"{namespace}/{repository_slug(test_name)}{suffix}-{secrets.token_hex(3)}"


@pytest.fixture
def repo(request: pytest.FixtureRequest, registry_config: RunConfig) -> str:
    """A fresh repository name under the run's namespace for this check."""
    return unique_repository(registry_config.namespace, request.node.name)


@pytest.fixture
def repo2(request: pytest.FixtureRequest, registry_config: RunConfig) -> str:
    """A second fresh repository (a mount source), under the mount namespace when one is configured."""
    namespace = registry_config.mount_namespace or registry_config.namespace
    return unique_repository(namespace, request.node.name, "-src")


@pytest.fixture
def content_seed(request: pytest.FixtureRequest) -> int:
    """A seed derived from the check's node id: the same check builds the same bytes every run."""
    digest = hashlib.sha256(request.node.nodeid.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


@pytest.fixture
def content(content_seed: int) -> random.Random:
    """A `random.Random` seeded per check; pass it as `seed=` to the `conformance.content` builders."""
    return random.Random(content_seed)


@pytest.fixture
def cleanup(
    request: pytest.FixtureRequest,
    pytestconfig: pytest.Config,
    registry_config: RunConfig,
    registry_target: RegistryTarget,
    capabilities: Capabilities,
) -> Iterator[Cleanup]:
    """Register pushed content; it is deleted after the check when the registry allows deletes.

    What was left becomes notes of the check; every record goes into the run's cleanup ledger.
    """
    registered = Cleanup(registry_config.namespace, registry_config.mount_namespace)
    yield registered
    with check_deadline(None):  # cleanup runs even when the check used up its deadline
        records = registered.run(registry_target, registry_config, capabilities, check=request.node.nodeid)
    for check_note in check_notes(records):
        note(check_note)
    plugin_state(pytestconfig).cleanup_ledger.add(records)


@dataclass
class Workspace:
    """Everything a check usually needs, as one fixture: `def test_x(workspace: Workspace) -> None`."""

    client: RegistryClient
    repo: str
    content: random.Random
    cleanup: Cleanup
    capabilities: Capabilities
    config: RunConfig
    target: RegistryTarget
    node_name: str

    def second_repo(self) -> str:
        """A second fresh repository (a mount source), under the mount namespace when one is configured."""
        namespace = self.config.mount_namespace or self.config.namespace
        return unique_repository(namespace, self.node_name, "-src")

    def new_client(self, *, anonymous: bool = False) -> RegistryClient:
        """Another client of the registry recorded in this check's report (the caller closes it)."""
        return self.target.new_client(anonymous=anonymous)


@pytest.fixture
def workspace(  # noqa: PLR0917 (pytest passes fixtures by parameter name)
    request: pytest.FixtureRequest,
    client: RegistryClient,
    repo: str,
    content: random.Random,
    cleanup: Cleanup,
    capabilities: Capabilities,
    registry_config: RunConfig,
    registry_target: RegistryTarget,
) -> Workspace:
    """The check's client, repository, content generator, cleanup, capabilities, configuration and target."""
    return Workspace(client, repo, content, cleanup, capabilities, registry_config, registry_target,
                     request.node.name)


PROBE_REPOSITORY = "capability-probe"


def probe_referrers(
    target: RegistryTarget, config: RunConfig, cleanup: Cleanup | None = None
) -> Finding | None:
    """Ask for the referrers of an existing manifest: 200 = supported, 404 = not, else inconclusive.

    The manifest is a tiny image pushed into `<namespace>/capability-probe` when pushing is allowed
    (registered with `cleanup` when given), else the first of `--registry-ro-referrers` /
    `--registry-ro-manifests`; with neither, None.
    """
    with target.new_client(Transcript()) as probe_client:
        if config.enabled("push"):
            repository = f"{config.namespace}/{PROBE_REPOSITORY}"
            manifest = image_manifest(random.Random(PROBE_REPOSITORY), layer_size=16)
            probe_client.push_image(repository, manifest)
            digest = manifest.digest
            if cleanup is not None:
                for blob in manifest.blobs_to_push:
                    cleanup.blob(repository, blob.digest)
                cleanup.manifest(repository, digest)
        else:
            named = config.read_only_data.referrers or config.read_only_data.manifests
            if not named or config.read_only_data.repository is None:
                return None
            repository, digest = config.read_only_data.repository, named[0]
        response = probe_client.referrers(repository, digest)
    evidence = f"GET /v2/{repository}/referrers/{digest} -> {response.status_code}"
    if response.status_code == 200:
        return Finding("referrers", True, "the referrers API answered 200", evidence, "probe")
    if response.status_code == 404:
        return Finding("referrers", False, "the referrers API answered 404 for an existing manifest",
                       evidence, "probe")
    return None


PROBE_CHECK = "(session) referrers capability probe"
PROBE_KEPT = ("the referrers capability probe of a pytest-xdist worker: other workers probe the same "
              "repository of this shared registry, so it is not deleted under them")


@pytest.fixture(scope="session")
def referrers_supported(
    pytestconfig: pytest.Config,
    registry_target: RegistryTarget,
    registry_config: RunConfig,
    capabilities: Capabilities,
) -> Iterator[bool]:
    """Whether the registry serves the referrers API; True while unknown (the checks then judge it).

    What the probe pushed is deleted at the session's end (into the cleanup ledger), except on a shared
    registry under pytest-xdist, where it is recorded as kept.
    """
    probe = Cleanup(registry_config.namespace, registry_config.mount_namespace)
    finding = capabilities.ensure("referrers",
                                  lambda: probe_referrers(registry_target, registry_config, probe))
    yield True if finding is None else finding.supported
    _clean_probe(pytestconfig, probe, registry_target, capabilities, check=PROBE_CHECK)


def _clean_probe(pytestconfig: pytest.Config, probe: Cleanup, target: RegistryTarget,
                 capabilities: Capabilities, *, check: str) -> None:
    """Delete what a probe pushed (kept on a shared registry under pytest-xdist), into the cleanup ledger."""
    if os.environ.get("PYTEST_XDIST_WORKER") and not target.bundled:
        records = [CleanupRecord(check, kind, repository, reference, False, "kept", PROBE_KEPT)
                   for kind, items in (("tag", probe.tags), ("manifest", probe.manifests),
                                       ("blob", probe.blobs))
                   for repository, reference in items]
    else:
        records = probe.run(target, plugin_state(pytestconfig).run_config, capabilities, check=check)
    plugin_state(pytestconfig).cleanup_ledger.add(records)


MECHANISM_CHECK = "(session) referrers mechanism probe"


@pytest.fixture(scope="session")
def referrers_mechanism(
    pytestconfig: pytest.Config,
    registry_target: RegistryTarget,
    registry_config: RunConfig,
    capabilities: Capabilities,
    referrers_supported: bool,
) -> Iterator[str | None]:
    """"api", "fallback" or "neither" (`conformance.referrers_mechanism`); None while unknown.

    Without the API the probe pushes a fresh image and referrer into `<namespace>/capability-probe` and
    tries the referrers tag schema; what it pushed is deleted at the session's end like the API probe's.
    """
    probe = Cleanup(registry_config.namespace, registry_config.mount_namespace)

    def learn() -> Finding | None:
        with registry_target.new_client(Transcript()) as probe_client:
            return probe_mechanism(probe_client, registry_config, capabilities.get("referrers"), probe)

    finding = capabilities.ensure(MECHANISM, learn)
    yield None if finding is None else finding.value
    _clean_probe(pytestconfig, probe, registry_target, capabilities, check=MECHANISM_CHECK)
