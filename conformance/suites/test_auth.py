"""Authentication and authorization checks (marker `auth`; `--no-auth` switches them off).

Against a registry URL they use the run's credentials (OCI_USERNAME/OCI_PASSWORD or Docker's config.json)
and, for the isolation check, a second user (OCI_USERNAME2/OCI_PASSWORD2, namespace OCI_NAMESPACE2);
without credentials only the anonymous-challenge check runs and the rest are unsupported. With no URL
they run against a second bundled reference server started with `--auth token` and two generated users
(see `conformance.checks.auth`).

Refusals: a registry may answer "not allowed" with 401 and a challenge (distribution's token auth, with
`error="insufficient_scope"`) or 403 `DENIED`; both pass, and a 401 must carry a well-formed challenge.
Reading a private repository may also answer 404 (hiding that it exists). A token service should answer
401 to wrong credentials (docs/spec/auth/token.md); the registry must refuse them in any case.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from conformance.checks.auth import (
    AuthTarget,
    FetchedToken,
    assert_no_secret,
    bearer_challenge,
    check_challenge,
    check_refused,
    fetch_token,
    second_credentials,
    start_bundled_token_server,
)
from conformance.client import Credentials, RegistryClient, Transcript
from conformance.client.auth import Challenge, repository_scope
from conformance.client.registry import DEFAULT_ACCEPT
from conformance.content import image_manifest
from conformance.fixtures import plugin_state
from conformance.options import RunConfig
from conformance.verdicts import current_recorder, must, note, should, unsupported

pytestmark = [pytest.mark.auth, pytest.mark.feature("auth"), pytest.mark.level("MUST")]

TOKEN_SPEC = "distribution docs/spec/auth/token.md"
MAX_WAIT_FOR_EXPIRY = 30.0
ACCEPT = ", ".join(DEFAULT_ACCEPT)


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


def _bearer_only(auth_target: AuthTarget, transcript: Transcript) -> Challenge:
    with auth_target.client(transcript) as anonymous:
        challenge = bearer_challenge(anonymous)
    if challenge is None:
        unsupported("the registry does not use Bearer token authentication (no scoped tokens)")
    return challenge


def _push_private(client: RegistryClient, repo: str, seed: str) -> str:
    manifest = image_manifest(random.Random(seed), layer_size=64)
    client.push_image(repo, manifest)
    return manifest.digest


@contextmanager
def _private_image(
    auth_target: AuthTarget, transcript: Transcript, owner: Credentials, repo: str
) -> Iterator[tuple[RegistryClient, str]]:
    """`owner`'s client and the digest of an image it pushed into `repo`, deleted (quietly) afterwards."""
    with auth_target.client(transcript, who=owner) as client:
        digest = _push_private(client, repo, repo)
        try:
            yield client, digest
        finally:
            _delete_quietly(client, repo, digest)


def _delete_quietly(client: RegistryClient, repo: str, digest: str) -> None:
    try:
        response = client.manifest_delete(repo, digest)
    except Exception as exc:  # cleanup never changes a verdict
        note(f"cleanup: DELETE {repo}@{digest} failed: {exc}")
        return
    if response.status_code not in (202, 404):
        note(f"cleanup: DELETE {repo}@{digest} answered {response.status_code}; content left behind")


@pytest.mark.spec(TOKEN_SPEC, "spec.md#error-codes")
def test_unauthenticated_requests_are_challenged(auth_target: AuthTarget, transcript: Transcript) -> None:
    repo = auth_target.repository("anonymous-push")
    with auth_target.client(transcript) as anonymous:
        ping = anonymous.request("GET", "/v2/", auth=False)
        push = anonymous.request("POST", f"/v2/{repo}/blobs/uploads/", auth=False)
        if push.location and push.status_code == 202:
            anonymous.request("DELETE", push.location, auth=False)
    if ping.status_code == 200 and push.status_code not in (401, 403):
        unsupported(f"the registry requires no authentication (anonymous GET /v2/ 200, anonymous push "
                    f"answered {push.status_code})")
    must(ping.status_code in (200, 401), f"anonymous GET /v2/: {ping.describe()}, expected 200 or 401")
    if ping.status_code == 401:
        check_challenge(ping, "anonymous GET /v2/")
    check_refused(push, "anonymous POST /blobs/uploads/")
    if push.status_code == 401:
        check_challenge(push, "anonymous POST /blobs/uploads/", repository=repo, action="push")
        if push.content.lstrip()[:1] == b"{":
            codes = [entry.get("code") for entry in push.json().get("errors", [])]
            should("UNAUTHORIZED" in codes, f"a 401 body carries codes {codes}, expected UNAUTHORIZED",
                   ref="spec.md#error-codes")


@pytest.mark.spec(TOKEN_SPEC)
def test_wrong_password_is_refused(
    auth_target: AuthTarget, user: Credentials, transcript: Transcript
) -> None:
    wrong = Credentials(user.username, user.password + "-wrong")
    repo = auth_target.repository("wrong-password")
    with auth_target.client(transcript) as anonymous:
        challenge = bearer_challenge(anonymous)
        if challenge is not None:
            answer = fetch_token(anonymous, challenge, [repository_scope(repo, ("pull", "push"))], wrong,
                                 auth_target)
            should(answer.status == 401, f"the token service answered {answer.status} to a wrong password, "
                   "expected 401", ref=TOKEN_SPEC)
    with auth_target.client(transcript, who=wrong) as intruder:
        if challenge is None:
            ping = intruder.ping()
            must(ping.status_code == 401, f"GET /v2/ with a wrong password: {ping.describe()}, expected 401")
        check_refused(intruder.upload_start(repo), "POST /blobs/uploads/ with a wrong password")


@pytest.mark.spec(TOKEN_SPEC, "distribution docs/spec/auth/scope.md")
def test_pull_only_token_cannot_push(
    auth_target: AuthTarget, user: Credentials, transcript: Transcript
) -> None:
    challenge = _bearer_only(auth_target, transcript)
    repo = auth_target.repository("pull-only")
    with auth_target.client(transcript) as raw:
        pull_only = fetch_token(raw, challenge, [repository_scope(repo, "pull")], user, auth_target)
        must(pull_only.token is not None,
             f"no token for a pull scope: the token service answered {pull_only.status}")
        refused = raw.request("POST", f"/v2/{repo}/blobs/uploads/",
                              headers={"Authorization": f"Bearer {pull_only.token}"})
        check_refused(refused, "POST /blobs/uploads/ with a pull-only token")
        if refused.status_code == 401:
            bearer = check_challenge(refused, "push with a pull-only token", repository=repo, action="push")
            should(bearer.error == "insufficient_scope",
                   f"the challenge's error is {bearer.error!r}, expected insufficient_scope (RFC 6750 3.1)")
        full = fetch_token(raw, challenge, [repository_scope(repo, ("pull", "push"))], user, auth_target)
        accepted = raw.request("POST", f"/v2/{repo}/blobs/uploads/",
                               headers={"Authorization": f"Bearer {full.token}"})
        must(accepted.status_code in (201, 202),
             f"the same user with a pull,push token cannot push to {repo}: {accepted.describe()} (is the "
             "namespace one the user may push to?)")
        if accepted.location:
            raw.request("DELETE", accepted.location, headers={"Authorization": f"Bearer {full.token}"})


def test_anonymous_pull_of_private_repository_is_denied(
    auth_target: AuthTarget, user: Credentials, transcript: Transcript
) -> None:
    repo = auth_target.repository("private")
    with _private_image(auth_target, transcript, user, repo) as (owner, digest):
        with auth_target.client(transcript) as anonymous:
            manifest = anonymous.manifest_get(repo, digest)
            check_refused(manifest, "anonymous GET of a freshly pushed (private) manifest",
                          hidden_ok=True)
            tags = anonymous.tags_list(repo)
            check_refused(tags, "anonymous tag list of a private repository", hidden_ok=True)
        must(owner.manifest_get(repo, digest).status_code == 200, "the owner cannot read their own image")


def test_users_are_isolated(auth_target: AuthTarget, user: Credentials, transcript: Transcript) -> None:
    other = auth_target.credentials2
    if other is None:
        unsupported("no second user configured (set OCI_USERNAME2/OCI_PASSWORD2, optionally OCI_NAMESPACE2)")
    repo = auth_target.repository("isolated", second=True)
    with (
        _private_image(auth_target, transcript, other, repo) as (_, digest),
        auth_target.client(transcript, who=user) as stranger,
    ):
        check_refused(stranger.manifest_get(repo, digest),
                      f"{user.username} reading {other.username}'s private manifest", hidden_ok=True)
        check_refused(stranger.upload_start(repo),
                      f"{user.username} pushing into {other.username}'s repository")


def _tampered(token: str) -> str:
    last = token[-2]
    return token[:-2] + ("A" if last != "A" else "B") + token[-1]


@pytest.mark.spec(TOKEN_SPEC, "RFC 6750 section 3.1")
def test_invalid_token_is_refused_and_replaced(
    auth_target: AuthTarget, user: Credentials, transcript: Transcript
) -> None:
    challenge = _bearer_only(auth_target, transcript)
    repo = auth_target.repository("bad-token")
    with _private_image(auth_target, transcript, user, repo) as (owner, digest):
        good = fetch_token(owner, challenge, [repository_scope(repo, "pull")], user, auth_target)
        must(good.token is not None, f"no pull token for the owner: token service answered {good.status}")
        assert good.token is not None
        refused = owner.request("GET", f"/v2/{repo}/manifests/{digest}",
                                headers={"Authorization": f"Bearer {_tampered(good.token)}",
                                         "Accept": ACCEPT})
        must(refused.status_code == 401, f"a tampered token: {refused.describe()}, expected 401")
        bearer = check_challenge(refused, "a tampered token")
        should(bearer.error == "invalid_token",
               f"the challenge's error is {bearer.error!r}, expected invalid_token (RFC 6750 3.1)")
        must(owner.manifest_get(repo, digest).status_code == 200,
             "after a refused token, authenticating again did not give access")


@pytest.mark.spec(TOKEN_SPEC)
def test_expired_token_is_replaced(
    auth_target: AuthTarget, user: Credentials, transcript: Transcript
) -> None:
    challenge = _bearer_only(auth_target, transcript)
    repo = auth_target.repository("expiry")
    with _private_image(auth_target, transcript, user, repo) as (owner, digest):
        token: FetchedToken = fetch_token(owner, challenge, [repository_scope(repo, "pull")], user,
                                          auth_target)
        lifetime = token.expires_in if token.expires_in is not None else 60.0
        if lifetime > MAX_WAIT_FOR_EXPIRY:
            unsupported(f"tokens live {lifetime:g} s; the check waits at most {MAX_WAIT_FOR_EXPIRY:g} s")
        header = {"Authorization": f"Bearer {token.token}", "Accept": ACCEPT}
        fresh = owner.request("GET", f"/v2/{repo}/manifests/{digest}", headers=header)
        must(fresh.status_code == 200, f"a fresh pull token: {fresh.describe()}, expected 200")
        before = owner.auth.token_requests
        must(owner.manifest_get(repo, digest).status_code == 200, "the owner cannot pull their image")
        time.sleep(lifetime + 1.0)
        stale = owner.request("GET", f"/v2/{repo}/manifests/{digest}", headers=header)
        if stale.status_code == 200:
            note(f"an expired token was still accepted {lifetime + 1:g} s after issue "
                 "(clock-skew leeway)")
        else:
            must(stale.status_code == 401, f"an expired token: {stale.describe()}, expected 401")
            check_challenge(stale, "an expired token")
        again = owner.manifest_get(repo, digest)
        must(again.status_code == 200, f"after expiry, the client's new token: {again.describe()}")
        must(owner.auth.token_requests > before, "the client did not authenticate again after expiry")


def test_credentials_never_appear_in_transcripts(
    auth_target: AuthTarget, user: Credentials, transcript: Transcript
) -> None:
    repo = auth_target.repository("redaction")
    hidden = {user.password, user.basic_header().split(" ", 1)[1]}
    with _private_image(auth_target, transcript, user, repo) as (owner, digest):
        must(owner.manifest_get(repo, digest).status_code == 200, "the owner cannot pull their image")
        sent = owner.auth.authorization([repository_scope(repo, "pull")])
        if sent is not None and sent.lower().startswith("bearer "):
            hidden.add(sent.split(" ", 1)[1])
        challenge = bearer_challenge(owner)
        if challenge is not None:
            fetch_token(owner, challenge, [repository_scope(repo, "pull")], user, auth_target)
    hidden |= auth_target.secrets_seen
    assert_no_secret(transcript, hidden)
