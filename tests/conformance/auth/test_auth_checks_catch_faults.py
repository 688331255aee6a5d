"""The auth checks can fail, each on the rule a fault really breaks: the real suite runs against the
bundled server behind a fault proxy (tests/conformance/broken/proxy.py) that breaks authentication one way.

- `NoChallenge` (token mode behind it): 401 answers lose their `WWW-Authenticate` header: the anonymous
  check fails on challenge-on-401 (RFC 9110 section 15.5.2, HTTP itself).
- `UnverifiedTokens` (no auth behind it): the proxy does Docker token auth itself but verifies nothing: its
  tokens are JWTs whose `access` claim grants nothing, and any Bearer token gets through. Requests served with
  a token that demonstrably lacks the scope fail on scope-enforced, a tampered token accepted fails on
  token-verified, and the token service that gives a wrong password a token gets a warning.
- `PlainForbidden` (token mode behind it): insufficient scope answered 403 without a challenge, as jwt.md
  describes. RFC 6750 wants a challenge on it: a contested reading, so advice by default and a failure only
  under --registry-strict-readings.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import jwt
import pytest

from conformance.registries import start_reference_server
from tests.conformance.auth.auth_suite_runs import SuiteRun, make_users, run_suite
from tests.conformance.broken.proxy import Exchange, Fault, FaultProxy

UNAUTHORIZED = json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})
DENIED = json.dumps({"errors": [{"code": "DENIED", "message": "requested access to the resource is denied"}]})
JSON = ("Content-Type", "application/json")


class NoChallenge(Fault):
    """Every 401 loses its WWW-Authenticate header."""

    name = "no-challenge"

    def on_response(self, exchange: Exchange) -> None:
        if exchange.status == 401:
            exchange.set_header("WWW-Authenticate", None)


class UnverifiedTokens(Fault):
    """Token auth verifying nothing: tokens granting nothing (access: []), any Bearer token let through."""

    name = "unverified-tokens"

    def __init__(self) -> None:
        self.key = secrets.token_bytes(32)

    def on_request(self, exchange: Exchange) -> None:
        if exchange.path == "/token":
            service = dict(parse_qsl(exchange.query)).get("service", "fault-proxy")
            claims = {"iss": "fault", "sub": "", "aud": service, "exp": int(time.time()) + 300, "access": []}
            token = jwt.encode(claims, self.key, algorithm="HS256")
            body = json.dumps({"token": token, "expires_in": 300}).encode()
            exchange.answer(200, body, [JSON])
            return
        if (exchange.request_header("authorization") or "").startswith("Bearer "):
            exchange.set_request_header("Authorization", None)
            return
        challenge = f'Bearer realm="{exchange.proxy_url}/token",service="fault-proxy"'
        exchange.answer(401, UNAUTHORIZED.encode(), [JSON, ("WWW-Authenticate", challenge)])


class PlainForbidden(Fault):
    """A 401 for insufficient scope becomes a 403 DENIED without a challenge."""

    name = "plain-forbidden"

    def on_response(self, exchange: Exchange) -> None:
        challenge = exchange.header("WWW-Authenticate") or ""
        if exchange.status == 401 and 'error="insufficient_scope"' in challenge:
            exchange.status, exchange.body = 403, DENIED.encode()
            exchange.set_header("WWW-Authenticate", None)
            exchange.set_header(*JSON)


def _suite_through(fault: Fault, auth_mode: str | None, tmp_path: Path, *extra: str) -> SuiteRun:
    users = make_users(tmp_path / "users")
    args = [] if auth_mode is None else [
        "--auth", auth_mode, "--users-file", str(users.users_file), "--access-file", str(users.access_file),
        "--token-ttl", "60",
    ]
    with start_reference_server(extra_args=args) as upstream:
        proxy = FaultProxy(upstream.url, [fault]).start()
        try:
            run = run_suite(proxy.url, ["auth"], users.env(), tmp_path / "report", *extra)
        finally:
            proxy.stop()
    undeclared = {check["name"]: set(check["evaluated_rules"]) - set(check["rules"])
                  for check in run.results["checks"]}
    assert not any(undeclared.values()), f"rules judged but not declared: {undeclared}"
    return run


def _broken(run: SuiteRun, level: str) -> dict[str, set[str]]:
    return {check["name"]: {f["rule"] for f in check["findings"] if f["level"] == level}
            for check in run.results["checks"] if any(f["level"] == level for f in check["findings"])}


@pytest.fixture(scope="module")
def unverified(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteRun]:
    yield _suite_through(UnverifiedTokens(), None, tmp_path_factory.mktemp("unverified"))


def test_a_401_without_a_challenge_fails_as_http(tmp_path: Path) -> None:
    run = _suite_through(NoChallenge(), "token", tmp_path)
    outcomes = run.outcomes()
    assert outcomes["test_unauthenticated_requests_are_challenged"] == "failed", outcomes
    assert _broken(run, "fail")["test_unauthenticated_requests_are_challenged"] == {"challenge-on-401"}


def test_requests_served_without_the_scope_fail_on_scope_enforced(unverified: SuiteRun) -> None:
    outcomes, failed = unverified.outcomes(), _broken(unverified, "fail")
    for name in ("test_pull_only_token_cannot_push", "test_anonymous_pull_of_private_repository_is_denied",
                 "test_users_are_isolated", "test_wrong_password_is_refused"):
        assert outcomes[name] == "failed", (name, outcomes)
        assert failed[name] == {"scope-enforced"}, (name, failed)


def test_a_tampered_token_accepted_fails_on_token_verified(unverified: SuiteRun) -> None:
    assert unverified.outcomes()["test_invalid_token_is_refused_and_replaced"] == "failed"
    assert _broken(unverified, "fail")["test_invalid_token_is_refused_and_replaced"] == {"token-verified"}


def test_a_token_for_a_wrong_password_is_a_warning_and_the_rest_holds(unverified: SuiteRun) -> None:
    assert _broken(unverified, "warn") == {"test_wrong_password_is_refused": {"token-service-401"}}
    outcomes = unverified.outcomes()
    assert outcomes["test_unauthenticated_requests_are_challenged"] == "passed"
    assert outcomes["test_token_response_carries_a_token"] == "passed"
    assert outcomes["test_credentials_never_appear_in_transcripts"] == "passed"
    assert outcomes["test_expired_token_is_replaced"] == "unsupported"  # 300 s tokens
    assert outcomes["test_token_for_another_audience_is_refused"] == "unsupported"  # grants nothing


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-readings"])
def test_a_plain_403_for_missing_scope_is_contested(strict: bool, tmp_path: Path) -> None:
    extra = ["--registry-strict-readings"] if strict else []
    run = _suite_through(PlainForbidden(), "token", tmp_path, *extra)
    outcomes = run.outcomes()
    touched = ("test_pull_only_token_cannot_push", "test_anonymous_pull_of_private_repository_is_denied",
               "test_users_are_isolated")
    if strict:
        assert {name: outcomes[name] for name in touched} == dict.fromkeys(touched, "failed"), outcomes
        assert all(_broken(run, "fail")[name] == {"bearer-challenge-on-refusal"} for name in touched)
    else:
        assert {name: outcomes[name] for name in touched} == dict.fromkeys(touched, "passed"), outcomes
        assert all(_broken(run, "advice")[name] == {"bearer-challenge-on-refusal"} for name in touched)
        assert not _broken(run, "fail") and not _broken(run, "warn")
