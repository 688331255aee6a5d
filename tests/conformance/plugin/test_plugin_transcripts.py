"""HTTP transcripts in failure reports (credentials redacted) and transport failures as failed checks."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest

from conformance import registries
from tests.conformance.plugin.plugin_runs import run_inner

pytest_plugins = ["pytester"]

USERNAME = "harness-user"
PASSWORD = "s3cret-Pa55word-never-shown"
SUITES = Path(__file__).resolve().parents[3] / "conformance" / "suites"

FAILING_AFTER_AUTH = """
import pytest
from conformance.ledger.rules import pull
from conformance.verdicts import judge

@pytest.mark.rules(pull.BLOB_GET_200)
@pytest.mark.pull
def test_fails_after_authenticated_requests(client):
    response = client.ping()
    assert response.status_code == 200
    judge(pull.BLOB_GET_200, False, "forced failure to show the transcript")
"""


@pytest.fixture(scope="module")
def basic_auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's distribution 2.8.2 with htpasswd (Basic) auth for one user."""
    if not registries.distribution_available():
        pytest.skip("docker-registry (distribution 2.8.2) is not installed; .ci/run installs it")
    htpasswd = tmp_path_factory.mktemp("auth") / "htpasswd"
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    htpasswd.write_text(f"{USERNAME}:{hashed}\n")
    auth_yaml = f"auth:\n  htpasswd:\n    realm: harness\n    path: {htpasswd}\n"
    with registries.start_distribution(auth_yaml=auth_yaml) as registry:
        yield registry.url


def test_failure_shows_the_transcript_without_credentials(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, basic_auth_registry: str
) -> None:
    env = {"OCI_USERNAME": USERNAME, "OCI_PASSWORD": PASSWORD}
    run = run_inner(pytester, monkeypatch, FAILING_AFTER_AUTH, "--registry-url", basic_auth_registry, env=env)
    run.result.assert_outcomes(failed=1)
    output = run.result.stdout.str()
    run.result.stdout.fnmatch_lines(
        [
            "*- HTTP transcript -*",
            f"> GET {basic_auth_registry}/v2/",
            "< 401*",
            "< www-authenticate: Basic realm=*",
            "# 401: retrying once with credentials from the challenge",
            f"> GET {basic_auth_registry}/v2/",
            "> authorization: Basic <redacted>",
            "< 200*",
        ]
    )
    check = run.check("test_fails_after_authenticated_requests")
    assert check["outcome"] == "failed"
    assert check["transcript"] is not None and "authorization: Basic <redacted>" in check["transcript"]
    assert "< 200" in check["transcript"] and "< 401" in check["transcript"]
    assert run.results["config"]["credentials"] == {"source": "OCI_USERNAME/OCI_PASSWORD"}
    encoded = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    junit_text = (run.directory / "junit.xml").read_text()
    results_text = (run.directory / "results.json").read_text()
    assert "authorization: Basic &lt;redacted&gt;" in junit_text
    for text in (output, junit_text, results_text):
        assert PASSWORD not in text
        assert encoded not in text


def test_ping_suite_passes_against_a_basic_auth_registry(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, basic_auth_registry: str
) -> None:
    env = {"OCI_USERNAME": USERNAME, "OCI_PASSWORD": PASSWORD}
    run = run_inner(
        pytester,
        monkeypatch,
        "",
        str(SUITES / "test_ping.py"),
        "--registry-url",
        basic_auth_registry,
        env=env,
    )
    run.result.assert_outcomes(passed=3)
    anonymous = run.check("test_unauthenticated_ping_is_200_or_a_proper_challenge")
    assert anonymous["notes"] == ["authentication required: Basic challenge"]
    assert run.results["server_headers"]["(status)"] == "401"
    assert run.results["server_headers"]["WWW-Authenticate"].startswith("Basic realm=")


def test_credentials_from_docker_config(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, basic_auth_registry: str, tmp_path: Path
) -> None:
    host = basic_auth_registry.split("://", 1)[1]
    encoded = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    (tmp_path / "config.json").write_text(json.dumps({"auths": {host: {"auth": encoded}}}))
    run = run_inner(pytester, monkeypatch, "", str(SUITES / "test_ping.py"),
                    "--registry-url", basic_auth_registry, env={"DOCKER_CONFIG": str(tmp_path)})
    run.result.assert_outcomes(passed=3)
    assert run.results["config"]["credentials"] == {"source": "docker config.json"}
    for path in (run.directory / "results.json", run.directory / "junit.xml"):
        assert PASSWORD not in path.read_text() and encoded not in path.read_text()


def test_ping_without_credentials_is_advice_naming_the_credentials(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, basic_auth_registry: str
) -> None:
    """A 401 to GET /v2/ breaks no MUST ("Determining Support" binds no keyword on the registry): the check
    passes with advice that tells the user to give credentials."""
    run = run_inner(
        pytester, monkeypatch, "", str(SUITES / "test_ping.py"), "--registry-url", basic_auth_registry
    )
    run.result.assert_outcomes(passed=3)
    check = run.check("test_api_version_check_answers_200")
    assert check["outcome"] == "passed"
    [finding] = check["findings"]
    assert (finding["level"], finding["rule"]) == ("advice", "determining-support")
    assert "GET /v2/ answered 401" in finding["message"] and "OCI_USERNAME" in finding["message"]
    assert run.results["counts"]["advised"] >= 1


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server on loopback that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in held:
            connection.close()
        server.close()


PING_ONLY = """
import pytest

@pytest.mark.pull
def test_ping(client):
    client.ping()
"""


def test_stalled_registry_is_a_failure_naming_the_request(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, silent_server: str
) -> None:
    run = run_inner(
        pytester, monkeypatch, PING_ONLY, "--registry-url", silent_server, "--registry-timeout", "0.5"
    )
    run.result.assert_outcomes(failed=1)
    check = run.check("test_ping")
    assert check["outcome"] == "failed"
    assert check["message"].startswith("RegistryTimeout:")
    assert f"GET {silent_server}/v2/" in check["message"] or f"{silent_server}/v2/" in (
        check["transcript"] or ""
    )


def test_refused_connection_is_a_failure_naming_the_request(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{registries.free_port()}"
    run = run_inner(pytester, monkeypatch, PING_ONLY, "--registry-url", url)
    run.result.assert_outcomes(failed=1)
    check = run.check("test_ping")
    assert check["message"].startswith("RegistryConnectionError:")
    assert f"{url}/v2/" in check["message"] + (check["transcript"] or "")
