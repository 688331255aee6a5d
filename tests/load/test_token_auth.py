"""Load users against the bundled reference server with Docker token auth (`--auth token`).

With OCI_USERNAME/OCI_PASSWORD a blob push + pull run has no failures, moves bytes, stores what it pushed
and asks the token endpoint only a few times (cached tokens, refreshed before they expire); without
credentials, pushes into a private namespace fail as UNAUTHORIZED without a token request per retry.
Neither run folder nor output holds a password, a Basic credential or a token.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import httpx
import pytest

from conformance.registries import RegistryProcess, start_reference_server
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
    assert run.returncode == 1, run.output  # Locust's exit code when requests failed
    summary = run.summary
    failures = summary["http"]["failures"]
    assert failures > 0 and summary["error_codes"] == {"UNAUTHORIZED": failures}, summary["error_codes"]
    assert summary["committed"]["bytes"] == 0 and not run.ledger_entries()
    # the anonymous token is granted (with no actions) and not asked again for every refused request
    tokens = token_row(run)
    assert tokens["failures"] == 0
    assert tokens["count"] <= 2 * (4 // TOKEN_TTL + 2) < failures, summary["requests"]
    assert_no_secrets(run, server.secrets())
