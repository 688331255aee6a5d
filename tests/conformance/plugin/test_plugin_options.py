"""Options and the OCI_* mapping: command line > OCI_* environment > defaults (conformance.options)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.ledger.model import SpecVersion
from conformance.options import (
    DEFAULT_TIMEOUT,
    IGNORED_VARIABLES,
    VALUE_VARIABLES,
    RunConfig,
    resolve_config,
)
from conformance.switches import SWITCHES

pytest_plugins = ["pytester"]


def resolve(pytester: pytest.Pytester, *args: str, env: dict[str, str] | None = None) -> RunConfig:
    return resolve_config(pytester.parseconfig(*args), env or {})


def test_defaults_start_the_bundled_server_under_a_random_namespace(pytester: pytest.Pytester) -> None:
    first = resolve(pytester)
    second = resolve(pytester)
    assert first.url is None
    assert first.namespace.startswith("conformance/") and first.namespace != second.namespace
    assert first.timeout == DEFAULT_TIMEOUT and first.verify is True
    assert not first.strict and not first.read_only and first.report_enabled
    assert all(first.enabled(switch.name) == switch.default for switch in SWITCHES)
    assert not first.enabled("sparse")


@pytest.mark.parametrize(("tls", "url", "verify"), [
    (None, "https://registry.example:5000", True),
    ("enabled", "https://registry.example:5000", True),
    ("insecure", "https://registry.example:5000", False),
    ("disabled", "http://registry.example:5000", True),
])
def test_oci_registry_and_tls(pytester: pytest.Pytester, tls: str | None, url: str, verify: bool) -> None:
    env = {"OCI_REGISTRY": "registry.example:5000"} | ({"OCI_TLS": tls} if tls else {})
    config = resolve(pytester, env=env)
    assert (config.url, config.verify, config.sources["url"]) == (url, verify, "OCI_REGISTRY")


def test_command_line_beats_environment(pytester: pytest.Pytester) -> None:
    env = {"OCI_REGISTRY": "env.example", "OCI_REPO1": "env/ns", "OCI_REPO2": "env/src",
           "OCI_API_REFERRER": "true", "OCI_RESULTS_DIR": "env-results", "OCI_FILTER_TEST": "env-filter"}
    config = resolve(pytester, "--registry-url", "http://cli.example:5000/", "--registry-namespace", "cli/ns",
                     "--registry-mount-namespace", "cli/src", "--no-referrers",
                     "--registry-report-dir", "cli-dir", "--registry-filter", "cli-filter", env=env)
    assert config.url == "http://cli.example:5000"
    assert (config.namespace, config.mount_namespace) == ("cli/ns", "cli/src")
    assert not config.enabled("referrers") and config.off_reason("referrers") == "--no-referrers"
    assert config.report_dir == Path("cli-dir") and config.filter == "cli-filter"
    assert {config.sources[key] for key in ("url", "namespace", "referrers", "report_dir")} == {"cli"}


def test_environment_beats_defaults(pytester: pytest.Pytester) -> None:
    env = {"OCI_REPO1": "team/conformance", "OCI_REPO2": "team/source", "OCI_RESULTS_DIR": "/tmp/results",
           "OCI_API_REFERRER": "false", "OCI_DATA_SPARSE": "true", "OCI_API_BLOBS_DELETE": "0",
           "OCI_FILTER_TEST": "push", "OCI_VERSION": "1.1"}
    config = resolve(pytester, env=env)
    assert (config.namespace, config.mount_namespace) == ("team/conformance", "team/source")
    assert config.report_dir == Path("/tmp/results") and config.filter == "push"
    assert not config.enabled("referrers") and config.off_reason("referrers") == "OCI_API_REFERRER=false"
    assert config.enabled("sparse") and config.sources["sparse"] == "OCI_DATA_SPARSE"
    assert not config.enabled("blob_delete") and config.enabled("manifest_delete")
    assert config.ignored_variables == ()
    assert (config.spec_version, config.sources["spec_version"]) == (SpecVersion.V1_1, "OCI_VERSION")


def test_legacy_variables_and_any_false_of_several(pytester: pytest.Pytester) -> None:
    env = {"OCI_ROOT_URL": "http://legacy.example:5000", "OCI_NAMESPACE": "legacy/ns",
           "OCI_TEST_PUSH": "false", "OCI_API_BLOBS_ATOMIC": "true", "OCI_API_TAGS_ATOMIC": "false"}
    config = resolve(pytester, env=env)
    assert (config.url, config.namespace) == ("http://legacy.example:5000", "legacy/ns")
    assert not config.enabled("push") and config.off_reason("push") == "OCI_TEST_PUSH=false"
    assert not config.enabled("atomic_delete")


def test_parent_switches(pytester: pytest.Pytester) -> None:
    config = resolve(pytester, "--no-delete")
    for name in ("blob_delete", "manifest_delete", "tag_delete", "atomic_delete"):
        assert not config.enabled(name)
        assert config.off_reason(name) == "--no-delete"
    assert config.switches["blob_delete"] is True  # only the parent was switched off


def test_read_only_mode_and_named_content(pytester: pytest.Pytester) -> None:
    env = {"OCI_REPO1": "library/busybox", "OCI_RO_DATA_TAGS": "latest 1.36",
           "OCI_RO_DATA_BLOBS": "sha256:aa,sha256:bb"}
    config = resolve(pytester, "--registry-read-only", "--registry-ro-manifests", "sha256:cc", env=env)
    assert config.read_only and not config.enabled("push") and not config.enabled("content_management")
    assert config.enabled("pull")
    data = config.read_only_data
    assert data.repository == "library/busybox"
    assert (data.tags, data.blobs, data.manifests, data.referrers) == (
        ("latest", "1.36"), ("sha256:aa", "sha256:bb"), ("sha256:cc",), ())


def test_tls_options_and_timeout(pytester: pytest.Pytester, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not checked here")
    assert resolve(pytester, "--registry-ca-bundle", str(bundle)).verify == str(bundle)
    assert resolve(pytester, "--registry-insecure", "--registry-ca-bundle", str(bundle)).verify is False
    assert resolve(pytester, "--registry-timeout", "2.5").timeout == 2.5
    assert resolve(pytester, "--no-registry-report").report_enabled is False
    assert resolve(pytester, "--registry-strict").strict is True


@pytest.mark.parametrize(("args", "env", "message"), [
    ((), {"OCI_API_PULL": "maybe"}, "OCI_API_PULL='maybe' is not a boolean"),
    ((), {"OCI_REGISTRY": "r.example", "OCI_TLS": "on"}, "OCI_TLS='on' must be enabled, insecure or"),
    (("--registry-url", "ftp://r.example"), {}, "must look like http://host[:port]"),
    (("--registry-url", "http://r.example/v2/"), {}, "must not have a path"),
    (("--registry-timeout", "0"), {}, "--registry-timeout and --registry-check-deadline must be positive"),
    (("--registry-max-retries", "-1"), {}, "--registry-max-retries and --registry-retry-budget must be"),
    (("--registry-spec-version", "2.0"), {}, "spec version '2.0' is not supported"),
    (("--registry-ca-bundle", "/nonexistent/ca.pem"), {}, "is not a file"),
    ((), {"OCI_REPO1": "Team/Conformance"}, "repository namespace 'Team/Conformance' is not a valid"),
    (("--registry-mount-namespace", "src//x"), {}, "repository mount namespace 'src//x' is not a valid"),
])
def test_bad_values_are_usage_errors(
    pytester: pytest.Pytester, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    with pytest.raises(pytest.UsageError, match=message.replace("[", r"\[").replace("(", r"\(")):
        resolve(pytester, *args, env=env)


def test_options_live_in_one_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--help")
    text = result.stdout.str()
    group = text.split("registry-harness conformance:", 1)[1]
    for flag in ("--registry-url", "--registry-namespace", "--registry-strict", "--registry-read-only",
                 "--no-pull", "--no-push", "--no-content-discovery", "--no-content-management",
                 "--no-referrers", "--no-delete", "--no-sha512", "--with-sparse", "--registry-report-dir",
                 "--no-registry-report", "--registry-ca-bundle", "--registry-insecure", "--registry-timeout"):
        assert flag in group, flag


def test_bad_environment_stops_the_run_with_a_message(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCI_TLS", "sometimes")
    monkeypatch.setenv("OCI_REGISTRY", "r.example")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*OCI_TLS='sometimes' must be enabled, insecure or disabled*"])


def test_readme_documents_every_switch_and_variable() -> None:
    readme = (Path(__file__).resolve().parents[3] / "conformance" / "README.md").read_text()
    for switch in SWITCHES:
        assert f"`{switch.flag}`" in readme, switch.flag
        for variable in switch.env:
            assert f"`{variable}`" in readme, variable
    for variable in (*VALUE_VARIABLES, *IGNORED_VARIABLES):
        assert f"`{variable}`" in readme, variable
