"""Acceptance: Debian's distribution 2.8.2 configured with token auth trusts our token service (the
bundled server in token mode, its generated certificate as `rootcertbundle`), and the suite's auth
checks pass against it. distribution verifies the ES256 JWT (`kid` = libtrust key id), `iss`, `aud`,
the time window and the `access` claim; refusals are 401 with `error="insufficient_scope"`."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.registries import distribution_available, start_distribution, start_reference_server
from tests.conformance.auth.auth_suite_runs import find_secrets, make_users, read_tree, run_suite

SERVICE = "distribution-under-test"
ISSUER = "registry-harness-token-service"


@pytest.mark.skipif(not distribution_available(), reason="unsupported: docker-registry not installed")
def test_suite_auth_checks_pass_against_distribution_trusting_our_tokens(tmp_path: Path) -> None:
    users = make_users(tmp_path / "users")
    token_service = start_reference_server(
        extra_args=[
            "--auth",
            "token",
            "--users-file",
            str(users.users_file),
            "--access-file",
            str(users.access_file),
            "--token-ttl",
            "3",
            "--token-issuer",
            ISSUER,
        ]
    )
    try:
        certificate = token_service.data_dir / "auth" / "token-key.crt"
        assert f"token signing certificate: {certificate}" in token_service.log_path.read_text()
        auth_yaml = (
            "auth:\n  token:\n"
            f"    realm: {token_service.url}/auth/token\n"
            f"    service: {SERVICE}\n"
            f"    issuer: {ISSUER}\n"
            f"    rootcertbundle: {certificate}\n"
        )
        with start_distribution(auth_yaml=auth_yaml) as distribution:
            run = run_suite(distribution.url, ["ping", "auth"], users.env(), tmp_path / "report")
            log = distribution.log_path.read_text(errors="replace")
    finally:
        token_service.stop()
    assert run.returncode == 0, run.output[-6000:]
    outcomes = run.outcomes()
    auth_checks = [
        name
        for name in outcomes
        if name.startswith("test_")
        and name
        in {
            "test_unauthenticated_requests_are_challenged",
            "test_wrong_password_is_refused",
            "test_pull_only_token_cannot_push",
            "test_anonymous_pull_of_private_repository_is_denied",
            "test_users_are_isolated",
            "test_invalid_token_is_refused_and_replaced",
            "test_expired_token_is_replaced",
            "test_credentials_never_appear_in_transcripts",
        }
    ]
    assert len(auth_checks) == 8
    assert all(outcomes[name] == "passed" for name in auth_checks), outcomes
    assert outcomes["test_api_version_check_answers_200"] == "passed"
    texts = {**read_tree(run.report_dir), "suite output": run.output, "distribution log": log}
    assert not find_secrets(texts, users.secrets())
