"""distribution 2.8.2 and 3.1.1 with htpasswd (Basic) auth let every signed-in user read and write every
repository. That is an access policy, which no document defines: the isolation check reports it as advice
(access-policy), never as a failure; every other check that can run passes, and the token checks are
unsupported (Basic has no scoped tokens). No password reaches the reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.registries import DISTRIBUTION_3, distribution_available, peer_binary, start_distribution
from tests.conformance.auth.auth_suite_runs import find_secrets, make_users, read_tree, run_suite

DISTRIBUTION_3_BINARY = peer_binary(DISTRIBUTION_3)
TOKEN_CHECKS = {
    "test_pull_only_token_cannot_push",
    "test_invalid_token_is_refused_and_replaced",
    "test_token_for_another_audience_is_refused",
    "test_expired_token_is_replaced",
    "test_token_response_carries_a_token",
}
BASIC_CHECKS = {
    "test_unauthenticated_requests_are_challenged",
    "test_wrong_password_is_refused",
    "test_anonymous_pull_of_private_repository_is_denied",
    "test_users_are_isolated",
    "test_credentials_never_appear_in_transcripts",
}


@pytest.mark.parametrize("binary", [
    pytest.param("docker-registry", id="2.8.2", marks=pytest.mark.skipif(
        not distribution_available(), reason="unsupported: docker-registry not installed")),
    pytest.param(str(DISTRIBUTION_3_BINARY), id="3.1.1", marks=pytest.mark.skipif(
        DISTRIBUTION_3_BINARY is None, reason="unsupported: distribution 3.1.1 not in the peers folder")),
])
def test_shared_access_under_basic_auth_is_advice_not_a_failure(binary: str, tmp_path: Path) -> None:
    users = make_users(tmp_path / "users")
    auth_yaml = f"auth:\n  htpasswd:\n    realm: basic-realm\n    path: {users.users_file}\n"
    with start_distribution(auth_yaml=auth_yaml, binary=binary) as distribution:
        run = run_suite(distribution.url, ["auth"], users.env(), tmp_path / "report")
    outcomes = run.outcomes()
    assert run.returncode == 0, run.output[-3000:]
    assert {name: outcomes[name] for name in BASIC_CHECKS} == dict.fromkeys(BASIC_CHECKS, "passed"), outcomes
    assert {name: outcomes[name] for name in TOKEN_CHECKS} == dict.fromkeys(TOKEN_CHECKS, "unsupported")
    assert all(set(check["evaluated_rules"]) <= set(check["rules"]) for check in run.results["checks"])
    findings = {check["name"]: [(f["level"], f["rule"], f["message"]) for f in check["findings"]]
                for check in run.results["checks"] if check["findings"]}
    assert set(findings) == {"test_users_are_isolated"}, findings
    isolation = findings["test_users_are_isolated"]
    assert [(level, rule) for level, rule, _ in isolation] == [("advice", "access-policy")] * 2
    assert "alice reading bob's private manifest" in isolation[0][2]
    assert "alice pushing into bob's repository" in isolation[1][2]
    # the report holds no password either
    assert not find_secrets({**read_tree(run.report_dir), "suite output": run.output}, users.secrets())
