"""Authentication and authorization checks (marker `auth`; `--no-auth` switches them off).

Against a registry URL they use the run's credentials (OCI_USERNAME/OCI_PASSWORD or Docker's config.json)
and, for the isolation check, a second user (OCI_USERNAME2/OCI_PASSWORD2, namespace OCI_NAMESPACE2);
without credentials only the anonymous-challenge check runs and the rest are unsupported. With no URL
they run against a second bundled reference server started with `--auth token` and two generated users
(see `conformance.checks.auth`).

spec.md leaves authentication out of its purview, so every verdict rests on the document that binds the
registry (`conformance.ledger.rules.auth` says which, and why): HTTP for a 401's challenge, RFC 7617 and
RFC 6750 for Basic and Bearer challenges, distribution's token documents for Docker token auth. A refusal
may be 401 with a challenge or 403 (the documents disagree; both pass), and a read of a private repository
may answer 404. Access policy (who may read what) is the operator's: another policy than the checks presume
is advice; a token registry serving a request its token demonstrably does not cover fails.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from conformance.checks.auth import AuthTarget, private_image, second_credentials, start_bundled_token_server
from conformance.checks.auth_challenges import check_challenge, check_invalid_token_refused, check_refused
from conformance.checks.auth_tokens import (
    assert_no_secret,
    bearer_headers,
    check_token_answer,
    fetch_token,
    owner_token,
    read_claims,
    served_rule,
    tampered,
)
from conformance.client import Credentials, RegistryClient, Transcript
from conformance.client.auth import Challenge, repository_scope
from conformance.client.registry import DEFAULT_ACCEPT
from conformance.fixtures import plugin_state
from conformance.ledger.rules import auth, general, pull
from conformance.options import RunConfig
from conformance.verdicts import HarnessError, current_recorder, judge, note, unsupported

pytestmark = [pytest.mark.auth, pytest.mark.feature("auth")]

MAX_WAIT_FOR_EXPIRY = 30.0
ACCEPT = ", ".join(DEFAULT_ACCEPT)
EMPTY_BODY = {"Content-Length": "0"}
OTHER_AUDIENCE_SUFFIX = "-not-this-registry"


@pytest.fixture(scope="session")
def auth_target(request: pytest.FixtureRequest, registry_config: RunConfig) -> Iterator[AuthTarget]:
    if registry_config.url is None:
        with start_bundled_token_server(registry_config.timeout) as bundled:
            plugin_state(request.config).session_notes.add(
                "auth checks ran against a second bundled reference server started with --auth token "
                "and two generated users"
            )
            yield bundled
        return
    registry = request.getfixturevalue("registry_target")
    credentials2, namespace2 = second_credentials()
    yield AuthTarget(registry.url, registry.verify, registry.timeout, registry.credentials,
                     registry_config.namespace, credentials2, namespace2)


@pytest.fixture
def transcript() -> Transcript:
    recorded = Transcript()
    recorder = current_recorder()
    if recorder is not None:
        recorder.add_transcript(recorded)
    return recorded


@pytest.fixture
def user(auth_target: AuthTarget, transcript: Transcript) -> Credentials:
    if auth_target.credentials is None:
        unsupported("no credentials configured (set OCI_USERNAME/OCI_PASSWORD or a docker config.json entry)")
    if not auth_target.check_requires_auth(transcript):
        unsupported("the registry requires no authentication (anonymous GET /v2/ and push accepted)")
    return auth_target.credentials


def _token_auth_only(auth_target: AuthTarget, transcript: Transcript) -> Challenge:
    challenge = auth_target.token_challenge(transcript)
    if challenge is None:
        unsupported("the registry does not use Docker token authentication (no Bearer challenge whose realm "
                    "is a token URL): no scoped tokens to check")
    return challenge


@pytest.mark.rules(auth.AUTH_OUT_OF_PURVIEW, auth.ACCESS_POLICY, auth.BEARER_NO_ERROR_WITHOUT_TOKEN,
                   *auth.REFUSAL_RULES)
def test_unauthenticated_requests_are_challenged(auth_target: AuthTarget, transcript: Transcript) -> None:
    repo = auth_target.repository("anonymous-push")
    with auth_target.client(transcript) as anonymous:
        ping = anonymous.request("GET", "/v2/", auth=False)
        push = anonymous.request("POST", f"/v2/{repo}/blobs/uploads/", headers=EMPTY_BODY, auth=False)
        if push.location and push.status_code == 202:
            anonymous.request("DELETE", push.location, auth=False)
    if ping.status_code == 200 and push.status_code not in (401, 403):
        unsupported(f"the registry requires no authentication (anonymous GET /v2/ 200, anonymous push "
                    f"answered {push.status_code})")
    judge(auth.AUTH_OUT_OF_PURVIEW, ping.status_code in (200, 401),
          f"anonymous GET /v2/: {ping.describe()}, expected 200 or 401 (end-1)")
    if ping.status_code == 401:
        check_challenge(ping, "anonymous GET /v2/", anonymous=True)
    check_refused(push, "anonymous POST /blobs/uploads/", access_rule=auth.ACCESS_POLICY,
                  bearer=auth_target.token_challenge(transcript) is not None, repository=repo, action="push",
                  anonymous=True)


@pytest.mark.rules(auth.TOKEN_SERVICE_401, auth.TOKEN_SERVICE_AUTHENTICATES, auth.SCOPE_ENFORCED,
                   auth.BASIC_VALIDATES, *auth.TOKEN_ANSWER_RULES, *auth.REFUSAL_RULES)
def test_wrong_password_is_refused(
    auth_target: AuthTarget, user: Credentials, transcript: Transcript
) -> None:
    wrong = Credentials(user.username, user.password + "-wrong")
    basic = {"Authorization": wrong.basic_header()}
    repo = auth_target.repository("wrong-password")
    uploads = f"/v2/{repo}/blobs/uploads/"
    challenge = auth_target.token_challenge(transcript)
    with auth_target.client(transcript) as raw:
        if challenge is None:
            if raw.request("GET", "/v2/", auth=False).status_code == 401:
                check_refused(raw.request("GET", "/v2/", headers=basic), "GET /v2/ with a wrong password",
                              access_rule=auth.BASIC_VALIDATES, bearer=False)
            check_refused(raw.request("POST", uploads, headers={**basic, **EMPTY_BODY}),
                          "POST /blobs/uploads/ with a wrong password", access_rule=auth.BASIC_VALIDATES,
                          bearer=False)
            return
        answer = fetch_token(raw, challenge, [repository_scope(repo, ("pull", "push"))], wrong, auth_target)
        judge(auth.TOKEN_SERVICE_401, answer.status == 401,
              f"the token service answered {answer.status} to a wrong password, expected 401")
        if answer.token is None:
            return
        rule = served_rule(answer.token, repo, "push")
        pushed = raw.request("POST", uploads, headers=bearer_headers(answer.token, **EMPTY_BODY))
        check_refused(pushed, "POST /blobs/uploads/ with the token issued for a wrong password",
                      access_rule=auth.TOKEN_SERVICE_AUTHENTICATES if rule is auth.ACCESS_POLICY else rule,
                      bearer=True)
        if pushed.location and pushed.status_code == 202:
            raw.request("DELETE", pushed.location, headers=bearer_headers(answer.token))


@pytest.mark.rules(auth.SCOPE_ENFORCED, auth.ACCESS_POLICY, auth.BEARER_ERROR_CODES, general.CATEGORY_CLAIM,
                   *auth.TOKEN_ANSWER_RULES, *auth.REFUSAL_RULES)
def test_pull_only_token_cannot_push(
    auth_target: AuthTarget, user: Credentials, transcript: Transcript
) -> None:
    challenge = _token_auth_only(auth_target, transcript)
    repo = auth_target.repository("pull-only")
    uploads = f"/v2/{repo}/blobs/uploads/"
    with auth_target.client(transcript) as raw:
        pull_only = owner_token(raw, challenge, repo, ("pull",), who=user, target=auth_target)
        refused = raw.request("POST", uploads, headers=bearer_headers(pull_only, **EMPTY_BODY))
        claims = read_claims(pull_only)
        rule = auth.SCOPE_ENFORCED
        if claims is not None and claims.grants(repo, "push"):
            rule = auth.ACCESS_POLICY
            note("the token service put 'push' into a token asked for 'pull' only (token.md: the token "
                 "carries the intersection of the requested and the granted actions)")
        if check_refused(refused, "POST /blobs/uploads/ with a pull-only token", access_rule=rule,
                         bearer=True, repository=repo, action="push") and refused.status_code == 401:
            bearer = check_challenge(refused, "push with a pull-only token", repository=repo, action="push")
            judge(auth.BEARER_ERROR_CODES, bearer.error == "insufficient_scope",
                  f"the challenge's error is {bearer.error!r}, expected insufficient_scope")
        full = owner_token(raw, challenge, repo, ("pull", "push"), who=user, target=auth_target)
        accepted = raw.request("POST", uploads, headers=bearer_headers(full, **EMPTY_BODY))
        judge(general.CATEGORY_CLAIM, accepted.status_code in (201, 202),
              f"the same user with a pull,push token cannot push to {repo}: {accepted.describe()} (is the "
              "namespace one the user may push to?)")
        if accepted.location:
            raw.request("DELETE", accepted.location, headers=bearer_headers(full))


def _refused_to_anonymous(anonymous: RegistryClient, challenge: Challenge | None, target: AuthTarget,
                          path: str, *, repo: str, what: str) -> None:
    """GET `path` as an anonymous client (with an anonymous token under token auth): it must be refused."""
    token = None if challenge is None else fetch_token(
        anonymous, challenge, [repository_scope(repo, "pull")], None, target).token
    if token is None:
        response = anonymous.request("GET", path, headers={"Accept": ACCEPT}, auth=False)
    else:
        response = anonymous.request("GET", path, headers=bearer_headers(token, Accept=ACCEPT))
    check_refused(response, what, access_rule=served_rule(token, repo, "pull"), bearer=challenge is not None,
                  hidden_ok=True, anonymous=token is None)


@pytest.mark.rules(auth.SCOPE_ENFORCED, auth.ACCESS_POLICY, auth.BEARER_NO_ERROR_WITHOUT_TOKEN,
                   pull.MANIFEST_GET_200, *auth.TOKEN_ANSWER_RULES, *auth.REFUSAL_RULES)
def test_anonymous_pull_of_private_repository_is_denied(
    auth_target: AuthTarget, user: Credentials, transcript: Transcript
) -> None:
    repo = auth_target.repository("private")
    challenge = auth_target.token_challenge(transcript)
    with private_image(auth_target, transcript, user, repo) as (owner, digest):
        with auth_target.client(transcript) as anonymous:
            _refused_to_anonymous(anonymous, challenge, auth_target, f"/v2/{repo}/manifests/{digest}",
                                  repo=repo, what="anonymous GET of a freshly pushed (private) manifest")
            _refused_to_anonymous(anonymous, challenge, auth_target, f"/v2/{repo}/tags/list",
                                  repo=repo, what="anonymous tag list of a private repository")
        read = owner.manifest_get(repo, digest)
        judge(pull.MANIFEST_GET_200, read.status_code == 200,
              f"the owner cannot read the image they pushed: {read.describe()}")


@pytest.mark.rules(auth.SCOPE_ENFORCED, auth.ACCESS_POLICY, auth.TOKEN_NO_ERROR_FOR_MISSING_ACCESS,
                   *auth.TOKEN_ANSWER_RULES, *auth.REFUSAL_RULES)
def test_users_are_isolated(auth_target: AuthTarget, user: Credentials, transcript: Transcript) -> None:
    other = auth_target.credentials2
    if other is None:
        unsupported("no second user configured (set OCI_USERNAME2/OCI_PASSWORD2, optionally OCI_NAMESPACE2)")
    repo = auth_target.repository("isolated", second=True)
    challenge = auth_target.token_challenge(transcript)
    bearer = challenge is not None
    with (
        private_image(auth_target, transcript, other, repo) as (_, digest),
        auth_target.client(transcript, who=user) as stranger,
    ):
        token = None
        if challenge is not None:
            fetched = fetch_token(stranger, challenge, [repository_scope(repo, ("pull", "push"))], user,
                                  auth_target)
            judge(auth.TOKEN_NO_ERROR_FOR_MISSING_ACCESS, fetched.status == 200,
                  f"the token service answered {fetched.status} when {user.username} asked for a scope on "
                  f"{other.username}'s repository (expected a token granting what the user may do)")
            token = fetched.token
        if token is None:
            read, push = stranger.manifest_get(repo, digest), stranger.upload_start(repo)
        else:
            read = stranger.request("GET", f"/v2/{repo}/manifests/{digest}",
                                    headers=bearer_headers(token, Accept=ACCEPT))
            push = stranger.request("POST", f"/v2/{repo}/blobs/uploads/",
                                    headers=bearer_headers(token, **EMPTY_BODY))
        if push.location and push.status_code == 202:
            stranger.request("DELETE", push.location,
                             headers=None if token is None else bearer_headers(token))
        check_refused(read, f"{user.username} reading {other.username}'s private manifest",
                      access_rule=served_rule(token, repo, "pull"), bearer=bearer, hidden_ok=True)
        check_refused(push, f"{user.username} pushing into {other.username}'s repository",
                      access_rule=served_rule(token, repo, "push"), bearer=bearer)


@pytest.mark.rules(pull.MANIFEST_GET_200, general.CATEGORY_CLAIM, *auth.INVALID_TOKEN_RULES,
                   *auth.TOKEN_ANSWER_RULES)
def test_invalid_token_is_refused_and_replaced(
    auth_target: AuthTarget, user: Credentials, transcript: Transcript
) -> None:
    challenge = _token_auth_only(auth_target, transcript)
    repo = auth_target.repository("bad-token")
    with private_image(auth_target, transcript, user, repo) as (owner, digest):
        good = owner_token(owner, challenge, repo, ("pull",), who=user, target=auth_target)
        check_invalid_token_refused(owner.request("GET", f"/v2/{repo}/manifests/{digest}",
                                                  headers=bearer_headers(tampered(good), Accept=ACCEPT)),
                                    "a tampered token")
        again = owner.manifest_get(repo, digest)
        judge(pull.MANIFEST_GET_200, again.status_code == 200,
              f"after a refused token, the owner's new token does not read the image: {again.describe()}")


@pytest.mark.rules(pull.MANIFEST_GET_200, *auth.INVALID_TOKEN_RULES, *auth.TOKEN_ANSWER_RULES)
def test_token_for_another_audience_is_refused(
    auth_target: AuthTarget, user: Credentials, transcript: Transcript
) -> None:
    challenge = _token_auth_only(auth_target, transcript)
    repo = auth_target.repository("audience")
    other = f"{challenge.service or 'registry'}{OTHER_AUDIENCE_SUFFIX}"
    with private_image(auth_target, transcript, user, repo) as (owner, digest):
        foreign = fetch_token(owner, challenge, [repository_scope(repo, "pull")], user, auth_target,
                              service=other)
        if foreign.token is None:
            unsupported(f"the token service issues no token for service {other!r} ({foreign.status})")
        claims = read_claims(foreign.token)
        if claims is None or other not in claims.audiences:
            unsupported(f"the token asked for service {other!r} is no JWT naming that audience: the suite "
                        "cannot tell it from a token for this registry")
        if not claims.grants(repo, "pull"):
            unsupported("the token for another audience grants no pull on the repository: a refusal would "
                        "not show that the registry checks the audience")
        check_invalid_token_refused(owner.request("GET", f"/v2/{repo}/manifests/{digest}",
                                                  headers=bearer_headers(foreign.token, Accept=ACCEPT)),
                                    f"a token for audience {other!r}")
        again = owner.manifest_get(repo, digest)
        judge(pull.MANIFEST_GET_200, again.status_code == 200,
              f"the owner cannot read the image: {again.describe()}")


@pytest.mark.rules(pull.MANIFEST_GET_200, general.CATEGORY_CLAIM, *auth.INVALID_TOKEN_RULES,
                   *auth.TOKEN_ANSWER_RULES)
def test_expired_token_is_replaced(
    auth_target: AuthTarget, user: Credentials, transcript: Transcript
) -> None:
    challenge = _token_auth_only(auth_target, transcript)
    repo = auth_target.repository("expiry")
    with private_image(auth_target, transcript, user, repo) as (owner, digest):
        token = fetch_token(owner, challenge, [repository_scope(repo, "pull")], user, auth_target)
        judge(general.CATEGORY_CLAIM, token.token is not None,
              f"the token service refused the owner of {repo} a pull token: it answered {token.status}")
        assert token.token is not None
        lifetime = token.expires_in if token.expires_in is not None else 60.0
        if lifetime > MAX_WAIT_FOR_EXPIRY:
            unsupported(f"tokens live {lifetime:g} s; the check waits at most {MAX_WAIT_FOR_EXPIRY:g} s")
        header = bearer_headers(token.token, Accept=ACCEPT)
        fresh = owner.request("GET", f"/v2/{repo}/manifests/{digest}", headers=header)
        judge(pull.MANIFEST_GET_200, fresh.status_code == 200, f"a fresh pull token: {fresh.describe()}")
        before = owner.auth.token_requests
        time.sleep(lifetime + 1.0)
        stale = owner.request("GET", f"/v2/{repo}/manifests/{digest}", headers=header)
        if stale.status_code == 200:
            note(f"an expired token was still accepted {lifetime + 1:g} s after issue (clock-skew leeway; "
                 "distribution allows 60 s)")
        else:
            check_invalid_token_refused(stale, "an expired token")
        again = owner.manifest_get(repo, digest)
        judge(pull.MANIFEST_GET_200, again.status_code == 200,
              f"after expiry, the client's new token: {again.describe()}")
        if owner.auth.token_requests <= before:
            raise HarnessError("the client did not authenticate again after its token expired")


@pytest.mark.rules(auth.TOKEN_RESPONSE_EQUAL, auth.TOKEN_MIN_LIFETIME, auth.TOKEN_EXPIRES_IN,
                   auth.TOKEN_ISSUED_AT, general.CATEGORY_CLAIM, *auth.TOKEN_ANSWER_RULES)
def test_token_response_carries_a_token(
    auth_target: AuthTarget, user: Credentials, transcript: Transcript
) -> None:
    challenge = _token_auth_only(auth_target, transcript)
    repo = auth_target.repository("token-answer")
    with auth_target.client(transcript) as raw:
        answer = fetch_token(raw, challenge, [repository_scope(repo, ("pull", "push"))], user, auth_target)
    judge(general.CATEGORY_CLAIM, answer.status == 200,
          f"the token service answered {answer.status} to {user.username} asking for a scope of their own "
          "namespace")
    check_token_answer(answer, bundled=auth_target.bundled)


@pytest.mark.rules(pull.MANIFEST_GET_200, *auth.TOKEN_ANSWER_RULES)
def test_credentials_never_appear_in_transcripts(
    auth_target: AuthTarget, user: Credentials, transcript: Transcript
) -> None:
    repo = auth_target.repository("redaction")
    hidden = {user.password, user.basic_header().split(" ", 1)[1]}
    challenge = auth_target.token_challenge(transcript)
    with private_image(auth_target, transcript, user, repo) as (owner, digest):
        read = owner.manifest_get(repo, digest)
        judge(pull.MANIFEST_GET_200, read.status_code == 200,
              f"the owner cannot pull their image: {read.describe()}")
        sent = owner.auth.authorization([repository_scope(repo, "pull")])
        if sent is not None and sent.lower().startswith("bearer "):
            hidden.add(sent.split(" ", 1)[1])
        if challenge is not None:
            fetch_token(owner, challenge, [repository_scope(repo, "pull")], user, auth_target)
    hidden |= auth_target.secrets_seen
    assert_no_secret(transcript, hidden)
