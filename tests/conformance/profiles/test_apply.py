"""--registry-profile as defaults (conformance.profiles.apply): explicit options win, unknown names are usage
errors, ghcr derives URL and namespace, a profile run against a real bundled registry reports the profile.

No test contacts a hosted registry: the ghcr and Docker Hub runs only resolve, or collect (`--collect-only`),
and every registry a check talks to is on loopback.
"""

from __future__ import annotations

from typing import Any

import pytest

import schemas
from conformance import registries
from conformance.options import RunConfig, resolve_config
from conformance.profiles import PROFILE_NAMES
from conformance.profiles.apply import PROFILE_ENV, AppliedProfile, apply_profile
from tests.conformance.plugin.plugin_runs import clean_environment, run_inner

pytest_plugins = ["pytester"]

GHCR_REASON = "--registry-profile ghcr: ghcr.io packages are deleted on GitHub or with GitHub's REST API"


def applied(pytester: pytest.Pytester, *args: str, env: dict[str, str] | None = None
            ) -> tuple[RunConfig, AppliedProfile | None]:
    config = pytester.parseconfig(*args)
    return apply_profile(resolve_config(config, env or {}), config, env or {})


def entry(profile: AppliedProfile, setting: str) -> dict[str, Any]:
    matches = [item for item in profile.entries if item["setting"] == setting]
    assert len(matches) == 1, profile.entries
    return matches[0]


def test_ghcr_sets_the_url_and_derives_the_namespace_from_oci_username(pytester: pytest.Pytester) -> None:
    config, profile = applied(pytester, "--registry-profile", "ghcr", env={"OCI_USERNAME": "Octo-Cat"})
    assert profile is not None and profile.selected_by == "cli"
    assert config.url == "https://ghcr.io" and config.sources["url"] == "--registry-profile ghcr"
    assert config.namespace == "octo-cat/registry-harness-conformance"
    assert config.read_only_data.repository == config.namespace
    for name in ("blob_delete", "manifest_delete", "tag_delete"):
        assert not config.enabled(name)
        assert config.off_reason(name).startswith(GHCR_REASON)
    assert config.enabled("delete") and config.enabled("referrers")  # referrers: undocumented, probed
    url = entry(profile, "url")
    assert (url["applied"], url["overridden_by"], url["value"]) == (True, None, "https://ghcr.io")
    assert url["source"].startswith("https://docs.github.com/")


def test_ghcr_without_oci_username_is_a_usage_error_naming_the_way_out(pytester: pytest.Pytester) -> None:
    with pytest.raises(pytest.UsageError, match=r"derives the namespace from OCI_USERNAME.*--registry-"):
        applied(pytester, "--registry-profile", "ghcr")
    config, _ = applied(pytester, "--registry-profile", "ghcr", "--registry-namespace", "acme/conformance")
    assert config.namespace == "acme/conformance" and config.url == "https://ghcr.io"


def test_explicit_options_and_variables_override_the_profile(pytester: pytest.Pytester) -> None:
    env = {"OCI_USERNAME": "octocat", "OCI_API_TAGS_DELETE": "true"}
    config, profile = applied(pytester, "--registry-profile", "ghcr", "--registry-url", "http://127.0.0.1:5000",
                              "--registry-namespace", "acme/checks", env=env)
    assert profile is not None
    assert (config.url, config.namespace) == ("http://127.0.0.1:5000", "acme/checks")
    assert config.sources["url"] == config.sources["namespace"] == "cli"
    assert config.enabled("tag_delete") and config.sources["tag_delete"] == "OCI_API_TAGS_DELETE"
    assert not config.enabled("manifest_delete")
    url = entry(profile, "url")
    assert (url["applied"], url["overridden_by"], url["value"]) == (False, "cli", config.url)
    assert entry(profile, "switches.tag_delete")["overridden_by"] == "OCI_API_TAGS_DELETE"
    assert entry(profile, "switches.manifest_delete")["applied"] is True
    env_url, _ = applied(pytester, "--registry-profile", "dockerhub",
                         env={"OCI_USERNAME": "me", "OCI_REGISTRY": "127.0.0.1:5000", "OCI_TLS": "disabled"})
    assert env_url.url == "http://127.0.0.1:5000" and env_url.sources["url"] == "OCI_REGISTRY"
    assert env_url.namespace == "me"


def test_the_profile_variable_selects_a_profile_and_no_profile_changes_nothing(
    pytester: pytest.Pytester,
) -> None:
    config, profile = applied(pytester, env={PROFILE_ENV: "dockerhub", "OCI_USERNAME": "me"})
    assert profile is not None and profile.selected_by == PROFILE_ENV
    assert config.url == "https://registry-1.docker.io"
    plain = resolve_config(pytester.parseconfig(), {})
    same, none = apply_profile(plain, pytester.parseconfig(), {})
    assert none is None and same is plain


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_profile_applies_and_reports_each_setting_with_its_source(
    pytester: pytest.Pytester, name: str
) -> None:
    config, profile = applied(pytester, "--registry-profile", name, env={"OCI_USERNAME": "someone"})
    assert profile is not None
    document = profile.as_json()
    assert document["name"] == name and document["file"] == f"conformance/profiles/{name}.toml"
    for item in document["settings"] + document["notes"]:
        assert item["source"].startswith("https://") and item["says"]
    assert profile.header_lines()[0].startswith(f"profile {name} (")
    assert config.url is None or config.url.startswith("https://")


@pytest.mark.parametrize(("args", "env", "message"), [
    (("--registry-profile", "nope"), {}, "--registry-profile .nope. is not a known registry profile"),
    ((), {PROFILE_ENV: "GHCR"}, "REGISTRY_HARNESS_PROFILE 'GHCR' is not a known registry profile"),
])
def test_an_unknown_profile_is_a_usage_error(
    pytester: pytest.Pytester, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    with pytest.raises(pytest.UsageError, match=message):
        applied(pytester, *args, env=env)


def test_an_unknown_profile_stops_the_run_with_exit_4(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_environment(monkeypatch)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--registry-profile", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--registry-profile 'nope' is not a known registry profile; known: acr, *"])


def test_the_header_names_the_profile_and_what_it_set(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --collect-only: nothing is sent anywhere; the URL given (loopback, never contacted) overrides ghcr.io.
    source = "import pytest\n\n@pytest.mark.pull\ndef test_offline(repo):\n    pass\n"
    run = run_inner(pytester, monkeypatch, source, "--collect-only", "--registry-profile", "ghcr",
                    "--registry-url", "http://127.0.0.1:9", env={"OCI_USERNAME": "octocat"})
    run.result.stdout.fnmatch_lines([
        "registry-harness conformance: http://127.0.0.1:9, namespace octocat/registry-harness-conformance, "
        "spec 1.1, timeout 30 s, profile ghcr",
        "profile ghcr (GitHub Container Registry (ghcr.io)): namespace=octocat/registry-harness-conformance, "
        "switches.blob_delete=off, switches.manifest_delete=off, switches.tag_delete=off, auth=*; "
        "overridden: url (by cli)",
        "profile note: pushed packages stay behind*",
        "switched off: blob_delete, manifest_delete, tag_delete",
    ])


PUSH_AND_PULL = '''
import pytest
from conformance.content import random_blob

@pytest.mark.push
@pytest.mark.writes
def test_push_then_pull(client, repo, content, cleanup):
    blob = random_blob(content, 512)
    client.push_blob(repo, blob)
    cleanup.blob(repo, blob.digest)
    response = client.blob_get(repo, blob.digest)
    assert response.status_code == 200 and response.content == blob.data
'''


@pytest.mark.skipif(not registries.distribution_available(), reason="docker-registry 2.8.2 is not installed")
def test_a_distribution_profile_run_against_the_bundled_distribution_reports_the_profile(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_inner(pytester, monkeypatch, PUSH_AND_PULL, "--registry-profile", "distribution",
                    env={"REGISTRY_HARNESS_BUNDLED": "distribution"})
    run.result.assert_outcomes(passed=1)
    document = run.results
    assert schemas.validate(document, "results") == []
    assert document["registry"]["bundled"] is True and document["registry"]["url"].startswith("http://127.0.0.1:")
    profile = document["config"]["profile"]
    assert profile["name"] == "distribution" and profile["selected_by"] == "cli"
    assert profile["settings"] == [] and profile["notes"][0]["source"].startswith("https://")
    assert "expectations" in profile["unset"] and document["config"]["expectations"] is None
    assert document["config"]["namespace"].startswith("conformance/")


def test_a_run_without_a_profile_records_none(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "import pytest\n\n@pytest.mark.pull\ndef test_offline(repo):\n    pass\n"
    run = run_inner(pytester, monkeypatch, source)
    run.result.assert_outcomes(passed=1)
    assert run.results["config"]["profile"] is None


def test_the_option_is_in_the_conformance_group_and_lists_the_profiles(pytester: pytest.Pytester) -> None:
    text = pytester.runpytest_inprocess("--help").stdout.str()
    group = text.split("registry-harness conformance:", 1)[1]
    assert "--registry-profile=NAME" in group
    assert all(name in " ".join(group.split()) for name in PROFILE_NAMES)


def test_under_ghcr_cleanup_leaves_what_was_pushed_with_the_profile_as_the_reason(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A loopback reference server stands in for ghcr.io: --registry-url overrides the profile's URL only.
    with registries.start_reference_server() as process:
        run = run_inner(pytester, monkeypatch, PUSH_AND_PULL, "--registry-profile", "ghcr",
                        "--registry-url", process.url, env={"OCI_USERNAME": "OctoCat"})
    run.result.assert_outcomes(passed=1)
    assert schemas.validate(run.results, "results") == []
    block = run.results["cleanup"]
    assert block["left"]["blob"] == 1 and block["deleted"]["total"] == 0
    [repository] = block["repositories"]
    assert repository["repository"].startswith("octocat/registry-harness-conformance/test-push-then-pull-")
    [left] = repository["left"]
    assert left["cause"] == "switched-off" and GHCR_REASON in left["reason"]
    assert run.results["config"]["switches"]["blob_delete"] is False
