"""The auth checks can fail: distribution 2.8.2 with htpasswd (Basic) auth lets every signed-in user read
and write every repository, so the isolation check fails there while the other checks hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.registries import distribution_available, start_distribution
from tests.conformance.auth.auth_suite_runs import find_secrets, make_users, read_tree, run_suite


@pytest.mark.skipif(not distribution_available(), reason="unsupported: docker-registry not installed")
def test_isolation_check_fails_where_users_share_everything(tmp_path: Path) -> None:
    users = make_users(tmp_path / "users")
    auth_yaml = f"auth:\n  htpasswd:\n    realm: basic-realm\n    path: {users.users_file}\n"
    with start_distribution(auth_yaml=auth_yaml) as distribution:
        run = run_suite(distribution.url, ["auth"], users.env(), tmp_path / "report")
    outcomes = run.outcomes()
    assert run.returncode == 1, run.output[-3000:]
    assert outcomes["test_users_are_isolated"] == "failed", outcomes
    assert outcomes["test_wrong_password_is_refused"] == "passed", outcomes
    assert outcomes["test_anonymous_pull_of_private_repository_is_denied"] == "passed", outcomes
    assert outcomes["test_unauthenticated_requests_are_challenged"] == "passed", outcomes
    assert outcomes["test_pull_only_token_cannot_push"] == "unsupported", outcomes  # Basic: no scopes
    assert "reading bob's private manifest" in run.output
    # a failing run's report (transcripts, tracebacks) holds no password either
    assert not find_secrets({**read_tree(run.report_dir), "suite output": run.output}, users.secrets())
