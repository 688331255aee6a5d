"""Session behaviour: lazy bundled server, report locations, switches and filters, pytest-xdist."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import schemas
from conformance import registries
from tests.conformance.plugin.plugin_runs import clean_environment, run_inner

pytest_plugins = ["pytester"]


@pytest.fixture
def start_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count calls of start_reference_server (the real one still runs)."""
    calls: list[str] = []
    real = registries.start_reference_server

    def counting(**kwargs: Any) -> registries.RegistryProcess:
        calls.append("start")
        return real(**kwargs)

    monkeypatch.setattr(registries, "start_reference_server", counting)
    return calls


def test_a_run_without_conformance_checks_starts_nothing_and_writes_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, start_calls: list[str]
) -> None:
    source = "def test_plain():\n    assert True\n"
    run = run_inner(pytester, monkeypatch, source, report_dir=None)
    run.result.assert_outcomes(passed=1)
    assert start_calls == []
    assert not (pytester.path / "reports").exists()
    assert "registry-harness conformance" not in run.result.stdout.str()


OWN_FIXTURES = '''
import pytest

@pytest.fixture
def client():
    return "a client of the harness's own tests"

@pytest.fixture
def repo():
    return "some/repo"

def test_own(client, repo):
    assert client and repo
'''


def test_same_named_fixtures_of_other_tests_do_not_make_checks(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, start_calls: list[str]
) -> None:
    run = run_inner(pytester, monkeypatch, OWN_FIXTURES, report_dir=None)
    run.result.assert_outcomes(passed=1)
    assert start_calls == []
    assert not (pytester.path / "reports").exists()
    assert "registry-harness conformance" not in run.result.stdout.str()


def test_checks_not_using_the_registry_start_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, start_calls: list[str]
) -> None:
    source = ("import pytest\n\n@pytest.mark.pull\ndef test_offline(repo):\n"
              "    assert repo.startswith('conformance/')\n")
    run = run_inner(pytester, monkeypatch, source)
    run.result.assert_outcomes(passed=1)
    assert start_calls == []
    assert run.results["registry"]["url"] is None


def test_bundled_server_starts_once_on_first_use_and_default_report_dir(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, start_calls: list[str]
) -> None:
    source = '''
import pytest
from conformance.verdicts import note

@pytest.mark.pull
def test_one(client, repo):
    assert client.ping().status_code == 200, "ping"
    note(repo)

@pytest.mark.pull
def test_two(client, repo):
    assert client.tags_list(repo).status_code == 404, "unknown repository has no tag list"
'''
    run = run_inner(pytester, monkeypatch, source, report_dir=None)
    run.result.assert_outcomes(passed=2)
    assert start_calls == ["start"]
    folders = list((pytester.path / "reports" / "conformance").iterdir())
    assert len(folders) == 1 and folders[0].name.endswith("_127.0.0.1_" + folders[0].name.rsplit("_", 1)[1])
    results = json.loads((folders[0] / "results.json").read_text())
    assert results["registry"]["bundled"] is True
    assert results["registry"]["url"].startswith("http://127.0.0.1:")
    assert results["server_headers"]["(status)"] == "200"
    namespace = results["config"]["namespace"]
    assert results["checks"][0]["notes"][0].startswith(namespace + "/test-one-")
    run.result.stdout.fnmatch_lines([f"reports: {folders[0]}"])


def test_results_dir_from_environment_and_no_report_switch(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = "import pytest\n\n@pytest.mark.pull\ndef test_offline():\n    pass\n"
    target = tmp_path / "oci-results"
    run = run_inner(pytester, monkeypatch, source, report_dir=None, env={"OCI_RESULTS_DIR": str(target)})
    run.result.assert_outcomes(passed=1)
    assert {"junit.xml", "results.json"} <= {path.name for path in target.iterdir()}
    sources = json.loads((target / "results.json").read_text())["config"]["sources"]
    assert sources["report_dir"] == "OCI_RESULTS_DIR"
    silent = run_inner(pytester, monkeypatch, source, "--no-registry-report", report_dir=None)
    silent.result.assert_outcomes(passed=1)
    assert not (pytester.path / "reports").exists()
    silent.result.stdout.fnmatch_lines(["conformance verdict: PASSED: 1 passed, 0 failed*"])


SWITCHED = '''
import pytest

@pytest.mark.pull
def test_pull_only():
    pass

@pytest.mark.pull
@pytest.mark.writes
def test_pull_that_pushes_first():
    pass

@pytest.mark.push
def test_push():
    pass

@pytest.mark.content_management
@pytest.mark.feature("manifest_delete")
def test_delete():
    pass

@pytest.mark.content_discovery
def test_keep_me_listed():
    pass
'''


def test_read_only_mode_disables_writing_checks(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_inner(pytester, monkeypatch, SWITCHED, "--registry-read-only")
    outcomes = {check["name"]: check["outcome"] for check in run.results["checks"]}
    assert outcomes == {"test_pull_only": "passed", "test_pull_that_pushes_first": "disabled",
                        "test_push": "disabled", "test_delete": "disabled", "test_keep_me_listed": "passed"}
    assert run.check("test_push")["message"] == "disabled: push category switched off (--registry-read-only)"


def test_category_switches_from_environment_and_filter(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"OCI_API_PULL": "false", "OCI_FILTER_TEST": "test_p"}
    run = run_inner(pytester, monkeypatch, SWITCHED, env=env)
    outcomes = {check["name"]: check["outcome"] for check in run.results["checks"]}
    assert outcomes == {"test_pull_only": "disabled", "test_pull_that_pushes_first": "disabled",
                        "test_push": "passed"}
    message = run.check("test_pull_only")["message"]
    assert message == "disabled: pull category switched off (OCI_API_PULL=false)"
    run.result.stdout.fnmatch_lines(["*2 deselected*"])


def test_marker_selection_by_area_and_category(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "import pytest\n\n@pytest.mark.uploads\n@pytest.mark.push\ndef test_u():\n    pass\n\n" \
             "@pytest.mark.tags\n@pytest.mark.content_discovery\ndef test_t():\n    pass\n"
    run = run_inner(pytester, monkeypatch, source, "-m", "uploads", "--strict-markers")
    run.result.assert_outcomes(passed=1, deselected=1)
    assert [check["name"] for check in run.results["checks"]] == ["test_u"]
    assert run.check("test_u")["markers"] == ["push", "uploads"]


def test_xdist_run_with_bundled_server_per_worker(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_environment(monkeypatch)
    pytester.makepyfile(test_checks='''
import pytest
from conformance.ledger.rules import pull
from conformance.verdicts import judge, note

@pytest.mark.pull
@pytest.mark.parametrize("number", range(4))
def test_ping(client, repo, number):
    assert client.ping().status_code == 200, "ping"
    note(repo)

@pytest.mark.rules(pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH)
@pytest.mark.push
def test_warns(client):
    judge(pull.MANIFEST_CONTENT_TYPE_MATCHES_PUSH, False, "a warning from a worker")
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2",
                                           "--registry-report-dir", "out")
    result.assert_outcomes(passed=5)
    results = json.loads((pytester.path / "out" / "results.json").read_text())
    assert results["counts"]["passed"] == 4 and results["counts"]["warned"] == 1
    assert schemas.validate(results, "results") == []
    namespace = results["config"]["namespace"]
    repos = [check["notes"][0] for check in results["checks"] if check["name"].startswith("test_ping")]
    assert len(repos) == 4 and all(repo.startswith(namespace + "/test-ping-") for repo in repos)
    assert len(set(repos)) == 4
    warned = [check for check in results["checks"] if check["outcome"] == "warned"]
    assert warned[0]["warnings"][0].startswith("a warning from a worker\n")
    assert [finding["rule"] for finding in warned[0]["findings"]] == ["manifest-content-type-matches-push"]
    assert results["registry"]["bundled"] is True and results["server_headers"]["(status)"] == "200"
    assert len(results["registry"]["worker_urls"]) == 2  # one bundled server per worker
    assert results["registry"]["url"] in results["registry"]["worker_urls"]
