"""Load users against the bundled reference server with Docker token auth (`--auth token`), and their
token decisions in-process against a scripted token endpoint (`users/tokens.py` needs no Locust).

With OCI_USERNAME/OCI_PASSWORD a blob push + pull run has no failures, moves bytes, stores what it pushed
and asks the token endpoint only a few times (cached tokens, refreshed before they expire); without
credentials, pushes into a private namespace fail as UNAUTHORIZED without a token request per retry.
Neither run folder nor output holds a password, a Basic credential or a token.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import bcrypt
import httpx
import pytest

from conformance.registries import (
    RegistryProcess,
    distribution_available,
    start_distribution,
    start_reference_server,
)
from load.metrics import COUNTERS
from load.users.tokens import TokenAuth
from tests.conformance.auth.auth_suite_runs import find_secrets, read_tree
from tests.load.locust_runs import LocustRun, run_locust

USER = "loader"
TOKEN_TTL = 2  # seconds: a 4 s run has to refresh its tokens
ARGS = ("-u", "2", "-r", "2", "-t", "4s", "--blob-sizes", "256KiB:1", "--repo-prefix", f"{USER}/load",
        "--verify-share", "1", "BlobPushMonolithic", "BlobPull")


class TokenServer:
    """A reference server with `--auth token` and one user, `loader`, with a random password."""

    def __init__(self, directory: Path) -> None:
        self.password = secrets.token_urlsafe(12)
        users = directory / "users.htpasswd"
        hashed = bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(5)).decode()
        users.write_text(f"{USER}:{hashed}\n")
        self.process: RegistryProcess = start_reference_server(
            extra_args=["--auth", "token", "--users-file", str(users), "--token-ttl", str(TOKEN_TTL)])

    @property
    def url(self) -> str:
        return self.process.url

    def secrets(self) -> list[str]:
        """The password and the Basic credential made of it."""
        return [self.password, base64.b64encode(f"{USER}:{self.password}".encode()).decode()]

    def token(self, repository: str) -> str:
        """A pull token for `repository`, asked with the user's credentials."""
        with httpx.Client(timeout=10.0) as client:
            params = {"service": "registry-harness", "scope": f"repository:{repository}:pull"}
            answer = client.get(f"{self.url}/auth/token", auth=(USER, self.password), params=params)
        answer.raise_for_status()
        token: str = answer.json()["token"]
        return token


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenServer]:
    running = TokenServer(tmp_path_factory.mktemp("token-users"))
    try:
        yield running
    finally:
        running.process.stop()


def token_row(run: LocustRun) -> dict[str, Any]:
    rows = [row for row in run.summary["requests"] if row["name"] == "token"]
    assert len(rows) == 1 and rows[0]["type"] == "GET", run.summary["requests"]
    row: dict[str, Any] = rows[0]
    return row


def assert_no_secrets(run: LocustRun, hidden: list[str]) -> None:
    texts = {**read_tree(run.run_dir), "stdout": run.stdout, "stderr": run.stderr}
    assert len(texts) > 5, sorted(texts)  # the run folder was written
    assert find_secrets(texts, hidden) == []


def test_token_auth_run_with_credentials(server: TokenServer, tmp_path: Path) -> None:
    run = run_locust(tmp_path, "--host", server.url, *ARGS, timeout=60,
                     env={"OCI_USERNAME": USER, "OCI_PASSWORD": server.password}, name="with-credentials")
    assert run.returncode == 0, run.output
    summary = run.summary
    assert summary["http"]["failures"] == 0 and summary["error_codes"] == {}, run.output
    assert summary["scenarios"]["BlobPushMonolithic"]["bytes_up"] >= 256 * 1024
    assert summary["scenarios"]["BlobPull"]["bytes_down"] >= 256 * 1024
    assert summary["digest_mismatches"] == 0
    # tokens are cached: a few per user and token lifetime, far fewer than requests
    tokens = token_row(run)
    assert tokens["failures"] == 0 and tokens["count"] >= 2
    assert tokens["count"] <= 2 * 2 * (4 // TOKEN_TTL + 2), tokens
    assert summary["http"]["requests"] > 3 * tokens["count"], summary["requests"]
    # every acknowledged push is stored
    entries = run.ledger_entries()
    assert entries
    repositories = {entry["repository"] for entry in entries}
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        headers = {repo: {"Authorization": "Bearer " + server.token(repo)} for repo in repositories}
        for entry in entries:
            response = client.head(f"/v2/{entry['repository']}/blobs/{entry['digest']}",
                                   headers=headers[entry["repository"]])
            assert response.status_code == 200, entry
            assert int(response.headers["Content-Length"]) == entry["size"]
    assert_no_secrets(run, server.secrets())


def test_token_auth_run_without_credentials_is_unauthorized(server: TokenServer, tmp_path: Path) -> None:
    empty_config = tmp_path / "no-docker-config"
    empty_config.mkdir()
    run = run_locust(tmp_path, "--host", server.url, *ARGS, timeout=60,
                     env={"OCI_USERNAME": "", "OCI_PASSWORD": "", "DOCKER_CONFIG": str(empty_config)},
                     name="anonymous")
    assert_anonymous_refused(run, server)


def assert_anonymous_refused(run: LocustRun, server: TokenServer) -> None:
    """Every push failed as UNAUTHORIZED; tokens were asked a few times, and no refused token was retried."""
    assert run.returncode == 1, run.output  # Locust's exit code when requests failed
    summary = run.summary
    failures = summary["http"]["failures"]
    assert failures > 0 and summary["error_codes"] == {"UNAUTHORIZED": failures}, summary["error_codes"]
    assert summary["committed"]["bytes"] == 0 and not run.ledger_entries()
    # the anonymous token is granted (with no actions) and not asked again for every refused request
    tokens = token_row(run)
    assert tokens["failures"] == 0
    assert tokens["count"] <= 2 * (4 // TOKEN_TTL + 2) < failures, summary["requests"]
    # a 401 answered by a retry is not a failure: there is at most one such per token fetched
    retried = summary["http"]["requests"] - failures - tokens["count"]
    assert 0 < retried <= tokens["count"], summary["requests"]
    assert_no_secrets(run, server.secrets())


# ---- the token decisions of one user, in-process with a scripted token endpoint (no Locust) -----------


class ScriptedResponse:
    """What `send` returns: a response that is its own `catch_response` context manager."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status_code = status
        self.content = body
        self.headers: dict[str, str] = {}
        self.outcome = ""

    def __enter__(self) -> ScriptedResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def success(self) -> None:
        self.outcome = "success"

    def failure(self, message: str) -> None:
        self.outcome = "failure: " + message


class ScriptedUser(TokenAuth):
    """A TokenAuth whose token endpoint answers from `answers` and records every request and row."""

    def __init__(self, answers: list[tuple[int, bytes]], auth: str | None = "Basic dXNlcjpwdw==",
                 exchange: bool = True) -> None:
        self.host = "http://127.0.0.1:5000"
        self.auth = auth
        self.answers = answers
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.rows: list[tuple[str, str, str]] = []
        self.start_tokens(auth, exchange=exchange)

    def send(self, method: str, url: str, name: str, *, headers: dict[str, str], body: Any,
             stream: bool) -> Any:
        self.requests.append((url, dict(headers)))
        status, answer = self.answers.pop(0)
        return ScriptedResponse(status, answer)

    def row(self, request_type: str, name: str, started: float, error: BaseException | None = None,
            length: int = 0) -> None:
        self.rows.append((request_type, name, str(error)))

    def _fail(self, response: Any, message: str) -> None:
        COUNTERS.add_error(f"HTTP {response.status_code}")
        response.failure(message)


CHALLENGE = 'Bearer realm="/auth/token",service="svc",scope="repository:loader/r:pull,push"'
PUSH_URL = "http://127.0.0.1:5000/v2/loader/r/blobs/uploads/"


def granted(token: str, expires_in: int = 300) -> tuple[int, bytes]:
    return 200, json.dumps({"token": token, "expires_in": expires_in}).encode()


def test_challenge_answered_with_basic_credentials_then_cached_per_repository() -> None:
    user = ScriptedUser([granted("tok-1")])
    assert user.authorization_for(PUSH_URL) == "Basic dXNlcjpwdw=="
    assert user.bearer_for_challenge(CHALLENGE, PUSH_URL, "Basic dXNlcjpwdw==") == "tok-1"
    [(url, headers)] = user.requests
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("127.0.0.1:5000", "/auth/token")  # a relative realm, resolved
    assert parse_qsl(parts.query) == [("service", "svc"), ("scope", "repository:loader/r:pull,push")]
    assert headers == {"Authorization": "Basic dXNlcjpwdw=="}
    # later requests on the same repository carry the token; another repository does not
    assert user.authorization_for("http://127.0.0.1:5000/v2/loader/r/blobs/sha256:ab") == "Bearer tok-1"
    other = "http://127.0.0.1:5000/v2/loader/other/blobs/sha256:ab"
    assert user.authorization_for(other) == "Basic dXNlcjpwdw=="
    assert len(user.requests) == 1


def test_refused_token_is_refreshed_once_only_if_it_had_worked() -> None:
    user = ScriptedUser([granted("tok-1"), granted("tok-2")], auth=None)
    assert user.bearer_for_challenge(CHALLENGE, PUSH_URL, None) == "tok-1"
    assert user.requests[0][1] == {}  # anonymous token request without credentials
    # refused without ever having worked: the scope is not granted, no new token request
    assert user.bearer_for_challenge(CHALLENGE, PUSH_URL, "Bearer tok-1") is None
    assert len(user.requests) == 1
    # it worked, then is refused (e.g. the registry's key changed): one new token
    user.token_worked(PUSH_URL, "Bearer tok-1")
    assert user.bearer_for_challenge(CHALLENGE, PUSH_URL, "Bearer tok-1") == "tok-2"
    assert user.bearer_for_challenge(CHALLENGE, PUSH_URL, "Bearer tok-2") is None
    assert len(user.requests) == 2


def test_due_token_is_fetched_before_the_request() -> None:
    user = ScriptedUser([granted("tok-1", expires_in=1), granted("tok-2")])
    assert user.bearer_for_challenge(CHALLENGE, PUSH_URL, None) == "tok-1"
    key = user.tokens.key_for("loader/r")
    assert key is not None
    user.tokens.clock = lambda: time.monotonic() + 1.0  # past the refresh time
    assert user.authorization_for(PUSH_URL) == "Bearer tok-2"
    assert len(user.requests) == 2


def test_mount_asks_for_the_source_pull_scope_too() -> None:
    user = ScriptedUser([granted("tok-1")])
    mount = PUSH_URL + "?mount=sha256:ab&from=loader/src"
    assert user.bearer_for_challenge(CHALLENGE, mount, None) == "tok-1"
    scopes = [value for name, value in parse_qsl(urlsplit(user.requests[0][0]).query) if name == "scope"]
    assert scopes == ["repository:loader/r:pull,push", "repository:loader/src:pull"]


def test_failed_or_refused_token_requests_give_no_token() -> None:
    COUNTERS.reset()
    refused = ScriptedUser([(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"wrong"}]}'),
                            (200, b'{"expires_in": 60}')])
    assert refused.bearer_for_challenge(CHALLENGE, PUSH_URL, None) is None
    assert refused.bearer_for_challenge(CHALLENGE, PUSH_URL, None) is None
    assert COUNTERS.error_codes == {"HTTP 401": 1, "TOKEN_ANSWER_INVALID": 1}
    far = ScriptedUser([])
    assert far.bearer_for_challenge('Bearer realm="https://auth.example.com/token"', PUSH_URL, None) is None
    assert far.requests == [] and far.rows[0][:2] == ("GET", "token") and "not on loopback" in far.rows[0][2]
    static = ScriptedUser([], auth="Bearer given", exchange=False)
    assert static.bearer_for_challenge(CHALLENGE, PUSH_URL, "Bearer given") is None and static.requests == []
    assert static.authorization_for(PUSH_URL) == "Bearer given"
    assert ScriptedUser([]).bearer_for_challenge('Basic realm="x"', PUSH_URL, None) is None


@pytest.mark.skipif(not distribution_available(), reason="unsupported: docker-registry not installed")
def test_token_auth_run_against_distribution_trusting_the_token_service(server: TokenServer,
                                                                         tmp_path: Path) -> None:
    """distribution 2.8.2 with token auth; the realm is the bundled server's token endpoint (another port)."""
    certificate = server.process.data_dir / "auth" / "token-key.crt"
    auth_yaml = (
        "auth:\n  token:\n"
        f"    realm: {server.url}/auth/token\n"
        "    service: distribution-under-test\n"
        "    issuer: registry-harness-token-service\n"
        f"    rootcertbundle: {certificate}\n"
    )
    empty_config = tmp_path / "no-docker-config"
    empty_config.mkdir()
    with start_distribution(auth_yaml=auth_yaml) as distribution:
        run = run_locust(tmp_path, "--host", distribution.url, *ARGS, timeout=60,
                         env={"OCI_USERNAME": USER, "OCI_PASSWORD": server.password}, name="distribution")
        anonymous = run_locust(tmp_path, "--host", distribution.url, *ARGS, timeout=60,
                               env={"OCI_USERNAME": "", "DOCKER_CONFIG": str(empty_config)},
                               name="distribution-anonymous")
    assert run.returncode == 0, run.output
    summary = run.summary
    assert summary["http"]["failures"] == 0 and summary["error_codes"] == {}, run.output
    assert summary["scenarios"]["BlobPushMonolithic"]["bytes_up"] >= 256 * 1024
    assert summary["scenarios"]["BlobPull"]["bytes_down"] >= 256 * 1024
    tokens = token_row(run)
    assert tokens["failures"] == 0 and 2 <= tokens["count"] < summary["http"]["requests"] / 3
    assert_no_secrets(run, server.secrets())
    # distribution lists the actions in either order (`push,pull`): still one token per scope, not one
    # per request
    assert_anonymous_refused(anonymous, server)
