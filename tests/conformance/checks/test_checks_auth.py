"""Tests of `conformance.checks.auth_challenges` and `conformance.checks.auth_tokens`: each helper passes a
conforming answer and fails, warns or advises on each way of breaking its rule (canned responses; a token
service behind httpx.MockTransport; JWTs minted here with PyJWT)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import httpx
import jwt
import pytest

from conformance.checks.auth import AuthTarget
from conformance.checks.auth_challenges import (
    challenges_of,
    check_challenge,
    check_invalid_token_refused,
    check_refused,
    token_challenge,
)
from conformance.checks.auth_tokens import (
    FetchedToken,
    check_token_answer,
    fetch_token,
    read_claims,
    served_rule,
    tampered,
)
from conformance.client import Credentials, RegistryClient, Response
from conformance.client.auth import Challenge
from conformance.ledger.model import Rule
from conformance.ledger.rules import auth, general
from conformance.verdicts import MustViolation, VerdictRecorder, VerdictSettings, configure, settings
from tests.conformance.checks.checks_doubles import REGISTRY, answer, envelope, verdicts

REPO = "alice/app"
REALM = "https://auth.test/token"
BEARER = f'Bearer realm="{REALM}",service="registry.test",scope="repository:{REPO}:pull,push"'
UNAUTHORIZED = envelope("UNAUTHORIZED")


def challenged(value: str | None = BEARER, status: int = 401, content: bytes = UNAUTHORIZED) -> Response:
    headers = [] if value is None else [("WWW-Authenticate", value)]
    return answer(status, [*headers, ("Content-Type", "application/json")], content)


def found(recorder: VerdictRecorder) -> list[tuple[str, str]]:
    """(level, rule id) of every finding recorded."""
    return [(finding.level.value, finding.rule.id) for finding in recorder.findings]


@pytest.fixture
def strict_readings() -> Iterator[None]:
    before = settings()
    configure(VerdictSettings(before.spec_version, strict_readings=True))
    try:
        yield
    finally:
        configure(before)


@contextmanager
def violated(rule: Rule) -> Iterator[None]:
    """The block must fail on `rule`."""
    with pytest.raises(MustViolation) as raised:
        yield
    assert raised.value.rule is rule, raised.value


# challenges ------------------------------------------------------------------------------------------
def test_a_conforming_bearer_challenge_passes_without_findings() -> None:
    with verdicts() as recorder:
        challenge = check_challenge(challenged(), "push", repository=REPO, action="push", anonymous=True)
    assert challenge.scheme == "bearer" and challenge.realm == REALM
    assert found(recorder) == []
    assert recorder.evaluated >= {"challenge-on-401", "token-realm", "scope-grammar"}


def test_a_401_without_a_challenge_fails_as_http_itself() -> None:
    with verdicts(), violated(auth.CHALLENGE_ON_401):
        check_challenge(challenged(None), "anonymous GET /v2/")


def test_an_unparseable_challenge_is_no_challenge() -> None:
    with verdicts(), violated(auth.CHALLENGE_ON_401):
        challenges_of(challenged('Bearer realm="unterminated'))


def test_an_unparseable_header_on_a_403_is_only_noted() -> None:
    with verdicts() as recorder:
        assert challenges_of(challenged('Bearer realm="unterminated', status=403)) == []
    assert found(recorder) == [] and "unparseable" in recorder.notes[0]


def test_a_scheme_the_harness_does_not_speak_is_unsupported() -> None:
    with verdicts(), pytest.raises(pytest.skip.Exception, match=r"unsupported: .*negotiate"):
        check_challenge(challenged("Negotiate"), "GET /v2/")


def test_a_basic_challenge_needs_a_realm() -> None:
    with verdicts() as recorder:
        assert check_challenge(challenged('Basic realm="registry"'), "GET /v2/").scheme == "basic"
    assert found(recorder) == []
    with verdicts(), violated(auth.BASIC_REALM):
        check_challenge(challenged('Basic charset="UTF-8"'), "GET /v2/")


def test_a_bare_bearer_challenge_fails() -> None:
    with verdicts(), violated(auth.BEARER_AUTH_PARAMS):
        check_challenge(challenged("Bearer"), "GET /v2/")


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ('Bearer realm="/token",service="s"', auth.TOKEN_REALM),
        (f'Bearer realm="{REALM}"', auth.TOKEN_REALM),
        (f'Bearer realm="{REALM}",service="s",scope="repository:{REPO}"', auth.SCOPE_GRAMMAR),
        (f'Bearer realm="{REALM}",service="s",scope="repository:{REPO}:pull"', auth.SCOPE_CHALLENGE),
    ],
    ids=["relative-realm", "no-service", "scope-without-actions", "scope-without-push"],
)
def test_challenge_parameters_without_a_keyword_are_advice(value: str, rule: Rule) -> None:
    with verdicts() as recorder:
        check_challenge(challenged(value), "push", repository=REPO, action="push")
    assert ("advice", rule.id) in found(recorder)
    assert all(level == "advice" for level, _ in found(recorder))


def test_an_error_attribute_without_credentials_is_a_warning_only_for_anonymous_requests() -> None:
    value = f'{BEARER},error="invalid_token"'
    with verdicts() as recorder:
        check_challenge(challenged(value), "push", anonymous=False)
    assert found(recorder) == []
    with verdicts() as recorder, pytest.warns(UserWarning, match="RFC 6750#section-3.1 SHOULD NOT"):
        check_challenge(challenged(value), "push", anonymous=True)
    assert found(recorder) == [("warn", auth.BEARER_NO_ERROR_WITHOUT_TOKEN.id)]


# refusals --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [401, 403])
def test_401_with_a_challenge_and_403_are_both_refusals(status: int) -> None:
    content = envelope("DENIED") if status == 403 else UNAUTHORIZED
    with verdicts() as recorder:
        refused = check_refused(challenged(status=status, content=content), "push",
                                access_rule=auth.SCOPE_ENFORCED, bearer=True)
    assert refused and found(recorder) == []


def test_a_served_request_breaks_the_access_rule_at_its_level() -> None:
    with verdicts(), violated(auth.SCOPE_ENFORCED):
        check_refused(answer(202), "push with a pull-only token", access_rule=auth.SCOPE_ENFORCED,
                      bearer=True)
    with verdicts() as recorder:
        assert not check_refused(answer(200), "anonymous pull", access_rule=auth.ACCESS_POLICY, bearer=True)
    assert found(recorder) == [("advice", auth.ACCESS_POLICY.id)]


def test_another_refusal_status_is_advice_and_404_only_where_hiding_is_allowed() -> None:
    with verdicts() as recorder:
        check_refused(answer(404), "anonymous pull", access_rule=auth.ACCESS_POLICY, bearer=True,
                      hidden_ok=True)
    assert found(recorder) == []
    with verdicts() as recorder:
        check_refused(answer(404), "anonymous push", access_rule=auth.ACCESS_POLICY, bearer=True)
        check_refused(answer(400), "anonymous push", access_rule=auth.ACCESS_POLICY, bearer=True)
    assert found(recorder) == [("advice", auth.REFUSAL_STATUS.id)] * 2


def test_a_403_of_a_bearer_registry_without_a_challenge_fails_only_under_strict_readings(
    strict_readings: None,
) -> None:
    with verdicts(), violated(auth.BEARER_CHALLENGE_ON_REFUSAL):
        check_refused(answer(403), "push", access_rule=auth.SCOPE_ENFORCED, bearer=True)
    with verdicts() as recorder:
        check_refused(answer(403), "push", access_rule=auth.SCOPE_ENFORCED, bearer=False)
    assert found(recorder) == []


def test_a_403_of_a_bearer_registry_without_a_challenge_is_advice_by_default() -> None:
    with verdicts() as recorder:
        check_refused(answer(403), "push", access_rule=auth.SCOPE_ENFORCED, bearer=True)
    assert found(recorder) == [("advice", auth.BEARER_CHALLENGE_ON_REFUSAL.id)]


def test_refusal_bodies_are_envelopes_and_name_the_auth_codes_as_advice() -> None:
    with verdicts(), violated(general.ERROR_ENVELOPE):
        check_refused(challenged(content=b'{"error": "nope"}'), "push", access_rule=auth.SCOPE_ENFORCED,
                      bearer=True)
    with verdicts() as recorder:
        check_refused(challenged(content=envelope("DENIED")), "push", access_rule=auth.SCOPE_ENFORCED,
                      bearer=True)
        check_refused(answer(403, content=envelope("UNAUTHORIZED")), "push", access_rule=auth.SCOPE_ENFORCED,
                      bearer=False)
    assert found(recorder) == [("advice", auth.CODE_UNAUTHORIZED.id), ("advice", auth.CODE_DENIED.id)]


# tokens that fail verification -------------------------------------------------------------------------
def test_an_invalid_token_that_is_served_fails() -> None:
    with verdicts(), violated(auth.TOKEN_VERIFIED):
        check_invalid_token_refused(answer(200), "a tampered token")


def test_an_invalid_token_refused_by_distribution_passes() -> None:
    with verdicts() as recorder:
        check_invalid_token_refused(challenged(f'{BEARER},error="invalid_token"'), "a tampered token")
    assert found(recorder) == []


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (answer(403, content=envelope("DENIED")),
         [("advice", auth.BEARER_CHALLENGE_ON_REFUSAL.id), ("warn", auth.BEARER_INVALID_TOKEN_401.id)]),
        (challenged(), [("warn", auth.BEARER_ERROR_ATTRIBUTE.id)]),
        (challenged(f'{BEARER},error="insufficient_scope"'), [("advice", auth.BEARER_ERROR_CODES.id)]),
    ],
    ids=["403", "401-without-error", "401-insufficient-scope"],
)
def test_rfc_6750_status_and_error_of_an_invalid_token(
    response: Response, expected: list[tuple[str, str]]
) -> None:
    warned = pytest.warns(UserWarning) if ("warn" in dict(expected)) else nullcontext()
    with verdicts() as recorder, warned:
        check_invalid_token_refused(response, "a tampered token")
    assert found(recorder) == expected


# token service ------------------------------------------------------------------------------------------
def minted(**claims: Any) -> str:
    return jwt.encode({"iss": "test", "sub": "alice", **claims}, "k" * 32, algorithm="HS256")


class TokenService:
    """A registry at REGISTRY whose realm answers `document` (or `status`), recording the queries."""

    def __init__(self, document: object = None, status: int = 200, body: bytes | None = None) -> None:
        self.document, self.status, self.body = document, status, body
        self.queries: list[list[tuple[str, str]]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(401, headers={"WWW-Authenticate": BEARER}, content=UNAUTHORIZED)
        self.queries.append(list(request.url.params.multi_items()))
        body = self.body if self.body is not None else json.dumps(self.document).encode()
        return httpx.Response(self.status, content=body, headers={"Content-Type": "application/json"})

    def client(self) -> RegistryClient:
        return RegistryClient(REGISTRY, transport=httpx.MockTransport(self.handle))


def target() -> AuthTarget:
    return AuthTarget(REGISTRY, True, 5.0, Credentials("alice", "pw"), "alice/ns")


def test_fetch_token_asks_the_realm_for_service_and_scopes_and_remembers_the_secret() -> None:
    token = minted(aud="registry.test")
    service = TokenService({"token": token, "expires_in": 300})
    auth_target = target()
    with verdicts(), service.client() as client:
        challenge = token_challenge(client)
        assert challenge is not None
        fetched = fetch_token(client, challenge, [f"repository:{REPO}:pull"], None, auth_target,
                              service="other")
    assert (fetched.status, fetched.token, fetched.expires_in) == (200, token, 300.0)
    assert service.queries == [[("service", "other"), ("scope", f"repository:{REPO}:pull")]]
    assert token in auth_target.secrets_seen


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", json.dumps({"expires_in": 60}).encode()],
                         ids=["not-json", "not-an-object", "no-token"])
def test_a_token_answer_without_a_token_fails(body: bytes) -> None:
    service = TokenService(body=body)
    with verdicts(), service.client() as client, violated(auth.TOKEN_RESPONSE_TOKEN):
        fetch_token(client, Challenge("bearer", {"realm": REALM}), [], None, target())


def test_a_refused_token_request_is_no_verdict_of_the_helper() -> None:
    with verdicts() as recorder, TokenService(status=401).client() as client:
        fetched = fetch_token(client, Challenge("bearer", {"realm": REALM}), [], None, target())
    assert fetched.status == 401 and fetched.token is None and found(recorder) == []


def test_token_answer_fields() -> None:
    good = FetchedToken(200, "t", 300.0, {"token": "t", "access_token": "t", "expires_in": 300,
                                          "issued_at": "2026-12-07T06:19:46Z"})
    with verdicts() as recorder:
        check_token_answer(good, bundled=False)
    assert found(recorder) == []
    bad = FetchedToken(200, "t", 3.0,
                       {"token": "t", "access_token": "u", "expires_in": 3, "issued_at": "today"})
    with verdicts() as recorder, pytest.warns(UserWarning):
        check_token_answer(bad, bundled=False)
    assert found(recorder) == [("warn", auth.TOKEN_RESPONSE_EQUAL.id), ("warn", auth.TOKEN_MIN_LIFETIME.id),
                               ("advice", auth.TOKEN_ISSUED_AT.id)]
    with verdicts() as recorder:
        check_token_answer(FetchedToken(200, "t", 2.0, {"token": "t", "expires_in": 2}), bundled=True)
    assert found(recorder) == [] and "2 s" in recorder.notes[0]


# what a token grants -------------------------------------------------------------------------------------
def test_claims_of_a_jwt_are_read_without_verification() -> None:
    token = minted(aud=["a", "b"], access=[{"type": "repository", "name": REPO, "actions": ["pull"]},
                                           {"type": "repository(plugin)", "name": REPO, "actions": ["push"]}])
    claims = read_claims(token)
    assert claims is not None and claims.audiences == ("a", "b")
    assert claims.grants(REPO, "pull") and claims.grants(REPO, "push") and not claims.grants("x/y", "pull")
    assert read_claims("opaque-token") is None
    no_access = read_claims(minted(aud="a"))
    assert no_access is not None and no_access.grants(REPO, "pull") is None


def test_a_served_request_fails_scope_enforced_only_when_the_token_demonstrably_lacks_the_action() -> None:
    nothing = minted(aud="a", access=[])
    pull_only = minted(aud="a", access=[{"type": "repository", "name": REPO, "actions": ["pull"]}])
    assert served_rule(nothing, REPO, "pull") is auth.SCOPE_ENFORCED
    assert served_rule(pull_only, REPO, "push") is auth.SCOPE_ENFORCED
    assert served_rule(pull_only, REPO, "pull") is auth.ACCESS_POLICY
    assert served_rule("opaque", REPO, "push") is auth.ACCESS_POLICY
    assert served_rule(None, REPO, "pull") is auth.ACCESS_POLICY


def test_a_tampered_token_differs_only_in_its_signature() -> None:
    token = minted(aud="a")
    changed = tampered(token)
    assert changed != token and changed.rsplit(".", 1)[0] == token.rsplit(".", 1)[0]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(changed, "k" * 32, algorithms=["HS256"], audience="a")
