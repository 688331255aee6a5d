"""Command-line options of the conformance plugin and their mapping onto the official suite's OCI_* variables.

Everything a run can be told lives here, as data:

- `conformance.switches.SWITCHES`: the category and optional-feature switches, each with the
  OCI_* variables that mean the same thing;
- `add_options()`: registers every option in ONE group, "registry-harness conformance";
- `resolve_config()`: reads the options and the environment into one frozen `RunConfig`.

Precedence is command line > OCI_* environment variable > default. Booleans in the environment are read
like the official suite reads them (Go's ParseBool: 1/t/T/TRUE/true/True and 0/f/F/FALSE/false/False);
anything else is a usage error. Credentials are never options: they come from OCI_USERNAME/OCI_PASSWORD
or Docker's config.json (see `conformance.fixtures`). `conformance/README.md` has the full table.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from conformance.ledger.model import SpecVersion
from conformance.spec.grammar import NAME_RE
from conformance.switches import SWITCHES, SWITCHES_BY_NAME

GROUP = "registry-harness conformance"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MIN_RATE = 4096.0
"""Bytes/s below which a response body counts as stalled (over `transport.STALL_WINDOW` seconds)."""
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_BUDGET = 120.0
"""Retries of a 429 (or 503 + Retry-After) per request, and seconds all such waits of a run may take."""
MAX_RPS_ENV = "REGISTRY_HARNESS_MAX_RPS"
MAX_REQUESTS_ENV = "REGISTRY_HARNESS_MAX_REQUESTS"
"""The run's rate cap (requests/s) and request budget (`conformance.client.quota`); off by default."""
DEFAULT_CHECK_DEADLINE = 600.0
"""Seconds one check (all its requests) may take; the whole suite needs about 15 s on the bundled server."""
DEFAULT_SETTLE_TIME = 0.0
SETTLE_ENV = "REGISTRY_HARNESS_SETTLE_TIME"
"""Seconds a tag/referrers/catalog list may take to show a write (`conformance.checks.settle`); 0: none."""

# Official variables we read, other than the switches, and those we knowingly ignore.
VALUE_VARIABLES = (
    "OCI_REGISTRY", "OCI_TLS", "OCI_ROOT_URL", "OCI_REPO1", "OCI_NAMESPACE", "OCI_REPO2",
    "OCI_CROSSMOUNT_NAMESPACE", "OCI_USERNAME", "OCI_PASSWORD", "OCI_RESULTS_DIR", "OCI_FILTER_TEST",
    "OCI_RO_DATA_TAGS", "OCI_RO_DATA_MANIFESTS", "OCI_RO_DATA_BLOBS", "OCI_RO_DATA_REFERRERS", "OCI_VERSION",
)
SPEC_VERSIONS = {"1.1": SpecVersion.V1_1, "stable": SpecVersion.V1_1, "": SpecVersion.V1_1,
                 "main": SpecVersion.MAIN, "dev": SpecVersion.MAIN, "1.1+dev": SpecVersion.MAIN}
"""Accepted values of --registry-spec-version / OCI_VERSION (the official suite's presets, plus `main`)."""
IGNORED_VARIABLES = (
    "OCI_CONFIGURATION", "OCI_LOG", "OCI_CACHE_AUTH", "OCI_DATA_IMAGE", "OCI_DEBUG",
    "OCI_HIDE_SKIPPED_WORKFLOWS", "OCI_DELETE_MANIFEST_BEFORE_BLOBS", "OCI_TAG_NAME", "OCI_MANIFEST_DIGEST",
    "OCI_BLOB_DIGEST",
)
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@dataclass(frozen=True)
class ReadOnlyData:
    """Content the user names for read-only checks (OCI_RO_DATA_*), all in the repository `repository`."""

    repository: str | None = None
    tags: tuple[str, ...] = ()
    manifests: tuple[str, ...] = ()
    blobs: tuple[str, ...] = ()
    referrers: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        """True when the user named any read-only content."""
        return bool(self.tags or self.manifests or self.blobs or self.referrers)


@dataclass(frozen=True)
class RunConfig:
    """Everything the options and environment say about one conformance run (credentials excluded).

    `url` is None when the bundled reference server is to be started. `sources` says, per setting,
    where its value came from ("cli", the OCI_* variable name, or "default"), for the report.
    """

    url: str | None
    namespace: str
    mount_namespace: str | None
    verify: bool | str
    timeout: float
    strict: bool
    read_only: bool
    switches: Mapping[str, bool]
    read_only_data: ReadOnlyData
    report_dir: Path | None
    report_enabled: bool
    filter: str | None
    sources: Mapping[str, str] = field(default_factory=dict)
    ignored_variables: tuple[str, ...] = ()
    spec_version: SpecVersion = SpecVersion.V1_1
    strict_readings: bool = False
    expectations: Path | None = None
    expectations_strict: bool = False
    min_rate: float = DEFAULT_MIN_RATE
    check_deadline: float = DEFAULT_CHECK_DEADLINE
    max_retries: int = DEFAULT_MAX_RETRIES
    retry_budget: float = DEFAULT_RETRY_BUDGET
    settle_time: float = DEFAULT_SETTLE_TIME
    max_rps: float | None = None
    max_requests: int | None = None

    def enabled(self, name: str) -> bool:
        """Whether the switch `name` (category or feature) is on, taking its parents into account."""
        switch = SWITCHES_BY_NAME.get(name)
        if switch is None:
            raise KeyError(f"unknown conformance switch {name!r}; known: {', '.join(SWITCHES_BY_NAME)}")
        return self.switches[name] and all(self.enabled(parent) for parent in switch.parents)

    def off_reason(self, name: str) -> str:
        """Why the switch `name` is off: the flag or variable that turned it (or a parent) off."""
        switch = SWITCHES_BY_NAME[name]
        if not self.switches[name]:
            source = self.sources.get(name, "default")
            if source in ("cli", "default"):
                return switch.flag
            return source if source.startswith("--") else f"{source}=false"
        for parent in switch.parents:
            if not self.enabled(parent):
                return self.off_reason(parent)
        return ""

    def redacted(self) -> dict[str, Any]:
        """The configuration as a JSON-ready dict with nothing secret in it (there are no secrets here)."""
        return {
            "url": self.url or "(bundled reference server)",
            "namespace": self.namespace,
            "mount_namespace": self.mount_namespace,
            "tls_verify": self.verify,
            "timeout_seconds": self.timeout,
            "min_rate_bytes_per_second": self.min_rate,
            "check_deadline_seconds": self.check_deadline,
            "max_retries": self.max_retries,
            "retry_budget_seconds": self.retry_budget,
            "settle_time_seconds": self.settle_time,
            "max_rps": self.max_rps,
            "max_requests": self.max_requests,
            "strict": self.strict,
            "spec_version": str(self.spec_version),
            "strict_readings": self.strict_readings,
            "expectations": str(self.expectations) if self.expectations else None,
            "expectations_strict": self.expectations_strict,
            "read_only": self.read_only,
            "switches": {name: self.enabled(name) for name in self.switches},
            "read_only_data": {
                "repository": self.read_only_data.repository,
                "tags": list(self.read_only_data.tags),
                "manifests": list(self.read_only_data.manifests),
                "blobs": list(self.read_only_data.blobs),
                "referrers": list(self.read_only_data.referrers),
            },
            "filter": self.filter,
            "sources": {name: source for name, source in self.sources.items() if source != "default"},
            "ignored_variables": list(self.ignored_variables),
        }


def add_options(parser: pytest.Parser) -> None:
    """Register every conformance option in the "registry-harness conformance" group."""
    group = parser.getgroup("registry-harness", GROUP)
    group.addoption("--registry-url", metavar="URL", default=None,
                    help="registry to check (http:// or https://); default: start the bundled reference "
                         "server (env: OCI_REGISTRY + OCI_TLS)")
    group.addoption("--registry-namespace", metavar="NS", default=None,
                    help="repository prefix everything pushed lives under (env: OCI_REPO1; "
                         "default: conformance/<random>)")
    group.addoption("--registry-mount-namespace", metavar="NS", default=None,
                    help="prefix of the mount-source repositories (env: OCI_REPO2; default: the namespace)")
    group.addoption("--registry-ca-bundle", metavar="PATH", default=None,
                    help="CA bundle (PEM) to verify the registry's TLS certificate with")
    group.addoption("--registry-insecure", action="store_true", default=None,
                    help="do not verify the registry's TLS certificate (env: OCI_TLS=insecure)")
    group.addoption("--registry-timeout", metavar="SECONDS", type=float, default=None,
                    help=f"total deadline of every request: connect, send, headers and the whole body "
                         f"(default {DEFAULT_TIMEOUT:g})")
    group.addoption("--registry-min-rate", metavar="BYTES_PER_S", type=float, default=None,
                    help=f"a response body slower than this over 5 s counts as stalled (default "
                         f"{DEFAULT_MIN_RATE:g}; 0 = only the total deadline)")
    group.addoption("--registry-max-retries", metavar="N", type=int, default=None,
                    help=f"retries of a 429 (or a 503 with Retry-After) per request (default "
                         f"{DEFAULT_MAX_RETRIES}; 0 = none)")
    group.addoption("--registry-retry-budget", metavar="SECONDS", type=float, default=None,
                    help=f"seconds all retry waits of a run may add up to (default {DEFAULT_RETRY_BUDGET:g})")
    group.addoption("--registry-settle-time", metavar="SECONDS", type=float, default=None,
                    help=f"how long a tag, referrers or catalog list may take to show a write: such reads "
                         f"are repeated (short backoff) until they show it, only when the first does not "
                         f"(env: {SETTLE_ENV}; default {DEFAULT_SETTLE_TIME:g})")
    group.addoption("--registry-max-rps", metavar="N", type=float, default=None,
                    help=f"send at most N requests per second to the registry, the whole run together (each "
                         f"pytest-xdist worker N / workers; the wait counts against a request's deadline) "
                         f"(env: {MAX_RPS_ENV}; default: no cap)")
    group.addoption("--registry-max-requests", metavar="N", type=int, default=None,
                    help=f"send at most N requests in the whole run (each pytest-xdist worker its share); "
                         f"a check needing more ends as an error (env: {MAX_REQUESTS_ENV}; default: none)")
    group.addoption("--registry-check-deadline", metavar="SECONDS", type=float, default=None,
                    help=f"deadline of one check, all its requests together (default "
                         f"{DEFAULT_CHECK_DEADLINE:g})")
    group.addoption("--registry-strict", action="store_true", default=False,
                    help="SHOULD violations fail instead of warning")
    group.addoption("--registry-spec-version", metavar="VERSION", default=None,
                    help="the distribution-spec text to hold the registry to: 1.1 (release v1.1.1, default) "
                         "or main (the main branch; also 'dev') (env: OCI_VERSION)")
    group.addoption("--registry-strict-readings", action="store_true", default=False,
                    help="where the spec text is open to two readings, apply the strict one (failures "
                         "instead of advice; see conformance/ledger/POSITIONS.md)")
    group.addoption("--registry-expectations", metavar="FILE", default=None,
                    help="TOML/YAML file of checks expected not to pass on this registry (expected failures "
                         "do not fail the run; see conformance/expectations/)")
    group.addoption("--registry-expectations-strict", action="store_true", default=False,
                    help="with --registry-expectations: any unexpected verdict (also a pass) fails the run")
    group.addoption("--registry-read-only", action="store_true", default=False,
                    help="the registry forbids pushes: skip writing checks, check the content named by "
                         "--registry-ro-* / OCI_RO_DATA_*")
    for kind in ("tags", "manifests", "blobs", "referrers"):
        group.addoption(f"--registry-ro-{kind}", metavar="LIST", default=None,
                        help=f"read-only mode: existing {kind} (space or comma separated) in "
                             f"--registry-namespace (env: OCI_RO_DATA_{kind.upper()})")
    group.addoption("--registry-report-dir", metavar="DIR", default=None,
                    help="where results.json and junit.xml go (env: OCI_RESULTS_DIR; default: "
                         "reports/conformance/<utc-time>_<registry-host>/)")
    group.addoption("--no-registry-report", action="store_true", default=False,
                    help="write no report files")
    group.addoption("--registry-filter", metavar="TEXT", default=None,
                    help="run only checks whose node id contains TEXT (env: OCI_FILTER_TEST)")
    for switch in SWITCHES:
        env_help = f" (env: {', '.join(switch.env)})" if switch.env else ""
        group.addoption(switch.flag, dest=switch.dest, action="store_const", const=not switch.default,
                        default=None, help=switch.help + env_help)


def parse_bool(variable: str, value: str) -> bool:
    """Parse a boolean environment value like Go's strconv.ParseBool; raise UsageError otherwise."""
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise pytest.UsageError(f"{variable}={value!r} is not a boolean (use true or false)")


def _split_list(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(item for item in value.replace(",", " ").split() if item)


def _url_from_env(env: Mapping[str, str]) -> tuple[str | None, str]:
    registry = env.get("OCI_REGISTRY")
    if registry:
        tls = env.get("OCI_TLS", "enabled")
        if tls not in ("enabled", "insecure", "disabled"):
            raise pytest.UsageError(f"OCI_TLS={tls!r} must be enabled, insecure or disabled")
        scheme = "http" if tls == "disabled" else "https"
        return f"{scheme}://{registry}", "OCI_REGISTRY"
    root = env.get("OCI_ROOT_URL")
    if root:
        return root, "OCI_ROOT_URL"
    return None, "default"


def validate_url(url: str) -> str:
    """Return `url` without a trailing slash; raise UsageError unless it is an http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise pytest.UsageError(f"registry URL {url!r} must look like http://host[:port] or https://host[:port]")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise pytest.UsageError(f"registry URL {url!r} must not have a path, query or fragment")
    return f"{parts.scheme}://{parts.netloc}"


def random_namespace() -> str:
    """A fresh namespace `conformance/<random>` for a run."""
    return f"conformance/{secrets.token_hex(4)}"


def _switch_values(
    config: pytest.Config, env: Mapping[str, str], sources: dict[str, str], *, read_only: bool
) -> dict[str, bool]:
    """Every switch's value (command line > OCI_* variables > default); records each one's source."""
    switches: dict[str, bool] = {}
    for switch in SWITCHES:
        cli_value = config.getoption(switch.dest)
        if cli_value is not None:
            switches[switch.name], sources[switch.name] = bool(cli_value), "cli"
            continue
        value, source = switch.default, "default"
        for variable in switch.env:
            if variable in env and env[variable] != "":
                if not parse_bool(variable, env[variable]):
                    value, source = False, variable
                    break
                value, source = True, variable
        switches[switch.name], sources[switch.name] = value, source
    if read_only:
        for name in ("push", "content_management"):
            switches[name], sources[name] = False, "--registry-read-only"
    return switches


@dataclass(frozen=True)
class _Limits:
    timeout: float
    min_rate: float
    check_deadline: float
    max_retries: int
    retry_budget: float


def _limits(config: pytest.Config) -> _Limits:
    """The deadline, rate and retry options, checked."""
    def value(name: str, default: float) -> float:
        given = config.getoption(name)
        return default if given is None else float(given)

    limits = _Limits(value("registry_timeout", DEFAULT_TIMEOUT), value("registry_min_rate", DEFAULT_MIN_RATE),
                     value("registry_check_deadline", DEFAULT_CHECK_DEADLINE),
                     int(value("registry_max_retries", DEFAULT_MAX_RETRIES)),
                     value("registry_retry_budget", DEFAULT_RETRY_BUDGET))
    if limits.timeout <= 0 or limits.check_deadline <= 0:
        raise pytest.UsageError("--registry-timeout and --registry-check-deadline must be positive")
    if limits.min_rate < 0 or limits.max_retries < 0 or limits.retry_budget < 0:
        raise pytest.UsageError("--registry-min-rate, --registry-max-retries and --registry-retry-budget "
                                "must be at least 0")
    return limits


def _settle_time(value: Any) -> float:
    """The settle time given (option, environment or default), checked: a number of seconds, at least 0."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"settle time {value!r} is not a number of seconds "
                                f"(--registry-settle-time / {SETTLE_ENV})") from None
    if not seconds >= 0 or seconds == float("inf"):
        raise pytest.UsageError(f"settle time {value!r} must be a finite number of seconds, at least 0")
    return seconds


def _positive(value: Any, label: str, kind: type[int] | type[float]) -> Any:
    """A positive number (int or float) for the option `label`, or None when not given."""
    if value is None:
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        what = "whole number" if kind is int else "number"
        raise pytest.UsageError(f"{label} {value!r} is not a {what}") from None
    if not number > 0 or number == float("inf"):
        raise pytest.UsageError(f"{label} {value!r} must be a finite number above 0")
    return number


def resolve_config(config: pytest.Config, env: Mapping[str, str] | None = None) -> RunConfig:
    """Build the `RunConfig` from the command line, then OCI_* variables in `env`, then defaults."""
    env = os.environ if env is None else env
    opt = config.getoption
    sources: dict[str, str] = {}

    def pick(name: str, cli: Any, *variables: str, default: Any = None) -> Any:
        if cli is not None:
            sources[name] = "cli"
            return cli
        for variable in variables:
            if env.get(variable):
                sources[name] = variable
                return env[variable]
        sources[name] = "default"
        return default

    url: str | None = opt("registry_url")
    if url is not None:
        sources["url"] = "cli"
    else:
        url, sources["url"] = _url_from_env(env)
    if url is not None:
        url = validate_url(url)

    namespace = pick("namespace", opt("registry_namespace"), "OCI_REPO1", "OCI_NAMESPACE")
    namespace = (namespace or random_namespace()).strip("/")
    mount_namespace = pick("mount_namespace", opt("registry_mount_namespace"), "OCI_REPO2",
                           "OCI_CROSSMOUNT_NAMESPACE")
    for label, value in (("namespace", namespace), ("mount namespace", mount_namespace)):
        if value is not None and not NAME_RE.match(value.strip("/")):
            raise pytest.UsageError(f"repository {label} {value!r} is not a valid repository name (lowercase "
                                    "components of [a-z0-9] joined by '.', '_', '__' or '-', split by '/')")

    insecure = bool(opt("registry_insecure")) or env.get("OCI_TLS") == "insecure"
    ca_bundle = opt("registry_ca_bundle")
    if ca_bundle is not None and not Path(ca_bundle).is_file():
        raise pytest.UsageError(f"--registry-ca-bundle {ca_bundle!r} is not a file")
    verify: bool | str = False if insecure else (str(ca_bundle) if ca_bundle else True)

    limits = _limits(config)
    settle_time = _settle_time(pick("settle_time", opt("registry_settle_time"), SETTLE_ENV,
                                    default=DEFAULT_SETTLE_TIME))
    max_rps = _positive(pick("max_rps", opt("registry_max_rps"), MAX_RPS_ENV),
                        f"--registry-max-rps / {MAX_RPS_ENV}", float)
    max_requests = _positive(pick("max_requests", opt("registry_max_requests"), MAX_REQUESTS_ENV),
                             f"--registry-max-requests / {MAX_REQUESTS_ENV}", int)
    version_text = pick("spec_version", opt("registry_spec_version"), "OCI_VERSION", default="1.1")
    if version_text not in SPEC_VERSIONS:
        raise pytest.UsageError(f"spec version {version_text!r} is not supported: use 1.1 (v1.1.1) or main "
                                f"(also {', '.join(repr(name) for name in SPEC_VERSIONS if name)})")
    expectations = opt("registry_expectations")
    if expectations is not None and not Path(expectations).is_file():
        raise pytest.UsageError(f"--registry-expectations {expectations!r} is not a file")

    read_only = bool(opt("registry_read_only"))
    switches = _switch_values(config, env, sources, read_only=read_only)

    ro_values = {
        kind: _split_list(pick(f"ro_{kind}", opt(f"registry_ro_{kind}"), f"OCI_RO_DATA_{kind.upper()}"))
        for kind in ("tags", "manifests", "blobs", "referrers")
    }
    report_dir = pick("report_dir", opt("registry_report_dir"), "OCI_RESULTS_DIR")
    filter_text = pick("filter", opt("registry_filter"), "OCI_FILTER_TEST")
    ignored = tuple(sorted(name for name in env if name in IGNORED_VARIABLES))
    return RunConfig(
        url=url,
        namespace=namespace,
        mount_namespace=mount_namespace.strip("/") if mount_namespace else None,
        verify=verify,
        timeout=limits.timeout,
        strict=bool(opt("registry_strict")),
        read_only=read_only,
        switches=switches,
        read_only_data=ReadOnlyData(repository=namespace, **ro_values),
        report_dir=Path(report_dir) if report_dir else None,
        report_enabled=not opt("no_registry_report"),
        filter=filter_text or None,
        sources=sources,
        ignored_variables=ignored,
        spec_version=SPEC_VERSIONS[version_text],
        strict_readings=bool(opt("registry_strict_readings")),
        expectations=Path(expectations) if expectations else None,
        expectations_strict=bool(opt("registry_expectations_strict")),
        min_rate=limits.min_rate,
        check_deadline=limits.check_deadline,
        max_retries=limits.max_retries,
        retry_budget=limits.retry_budget,
        settle_time=settle_time,
        max_rps=max_rps,
        max_requests=max_requests,
    )
