"""Acceptance: distribution 2.8.2 (Debian's `docker-registry`) and 3.1.1 (the peers folder) configured with
token auth trust our token service (the bundled server in token mode), and the suite's auth checks pass
against them, with exactly the warnings the ledger predicts.

distribution verifies the ES256 JWT (`iss`, `aud`, the time window, the `access` claim) and answers refusals
401 with an RFC 6750 `error`. 2.8.2 finds our key through `rootcertbundle` by its libtrust key id (`kid`);
3.1.1 names certificate keys by their JWK thumbprint instead, so it is given the same public key as a
`jwks` file under our `kid` (same config format otherwise).

Warnings, each a SHOULD the registry setup really breaks:
- token-min-lifetime (token.md): the token service here issues 3 s tokens, so the expiry check runs;
- bearer-error-attribute (RFC 6750 section 3), 3.1.1 only: a token with a broken signature gets a challenge
  without `error="invalid_token"` (3.1.1 passes the verification error on; 2.8.2 maps it to invalid_token).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from conformance.registries import (
    DISTRIBUTION_3,
    distribution_available,
    peer_binary,
    start_distribution,
    start_reference_server,
)
from tests.conformance.auth.auth_suite_runs import SuiteRun, find_secrets, make_users, read_tree, run_suite

SERVICE = "distribution-under-test"
ISSUER = "registry-harness-token-service"
AUTH_CHECKS = {
    "test_unauthenticated_requests_are_challenged",
    "test_wrong_password_is_refused",
    "test_pull_only_token_cannot_push",
    "test_anonymous_pull_of_private_repository_is_denied",
    "test_users_are_isolated",
    "test_invalid_token_is_refused_and_replaced",
    "test_token_for_another_audience_is_refused",
    "test_expired_token_is_replaced",
    "test_token_response_carries_a_token",
    "test_credentials_never_appear_in_transcripts",
}
DISTRIBUTION_3_BINARY = peer_binary(DISTRIBUTION_3)
VERSIONS = [
    pytest.param("docker-registry", {"test_token_response_carries_a_token": ["token-min-lifetime"]},
                 id="2.8.2",
                 marks=pytest.mark.skipif(not distribution_available(),
                                          reason="unsupported: docker-registry not installed")),
    pytest.param(str(DISTRIBUTION_3_BINARY), {"test_token_response_carries_a_token": ["token-min-lifetime"],
                                              "test_invalid_token_is_refused_and_replaced":
                                                  ["bearer-error-attribute"]},
                 id="3.1.1",
                 marks=pytest.mark.skipif(DISTRIBUTION_3_BINARY is None,
                                          reason="unsupported: distribution 3.1.1 not in the peers folder")),
]


def _jwks(token_service_url: str, certificate: Path, directory: Path) -> Path:
    """A JWKS file with the token service's public key under the `kid` its tokens carry."""
    answer = httpx.get(f"{token_service_url}/auth/token", params={"service": SERVICE}, timeout=10)
    header = json.loads(base64.urlsafe_b64decode(answer.json()["token"].split(".")[0] + "=="))
    public_key = x509.load_pem_x509_certificate(certificate.read_bytes()).public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    key = json.loads(ECAlgorithm.to_jwk(public_key))
    path = directory / "jwks.json"
    path.write_text(json.dumps({"keys": [{**key, "kid": header["kid"]}]}))
    return path


def _findings(run: SuiteRun, level: str) -> dict[str, list[str]]:
    return {check["name"]: [f["rule"] for f in check["findings"] if f["level"] == level]
            for check in run.results["checks"] if any(f["level"] == level for f in check["findings"])}


@pytest.mark.parametrize(("binary", "warnings"), VERSIONS)
def test_suite_auth_checks_pass_against_distribution_trusting_our_tokens(
    binary: str, warnings: dict[str, list[str]], tmp_path: Path
) -> None:
    users = make_users(tmp_path / "users")
    token_service = start_reference_server(extra_args=[
        "--auth", "token", "--users-file", str(users.users_file), "--access-file", str(users.access_file),
        "--token-ttl", "3", "--token-issuer", ISSUER,
    ])
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
        if binary != "docker-registry":
            auth_yaml += f"    jwks: {_jwks(token_service.url, certificate, tmp_path)}\n"
        with start_distribution(auth_yaml=auth_yaml, binary=binary) as distribution:
            run = run_suite(distribution.url, ["ping", "auth"], users.env(), tmp_path / "report")
            log = distribution.log_path.read_text(errors="replace")
    finally:
        token_service.stop()
    assert run.returncode == 0, run.output[-6000:]
    outcomes = run.outcomes()
    assert set(outcomes) >= AUTH_CHECKS
    expected = {name: "warned" if name in warnings else "passed" for name in AUTH_CHECKS}
    assert {name: outcomes[name] for name in AUTH_CHECKS} == expected, run.output[-3000:]
    assert _findings(run, "warn") == warnings
    assert _findings(run, "fail") == {} and _findings(run, "advice") == {}
    assert outcomes["test_api_version_check_answers_200"] == "passed"
    assert all(set(check["evaluated_rules"]) <= set(check["rules"]) for check in run.results["checks"]
               if check["name"] in AUTH_CHECKS)
    texts = {**read_tree(run.report_dir), "suite output": run.output, "distribution log": log}
    assert not find_secrets(texts, users.secrets())
