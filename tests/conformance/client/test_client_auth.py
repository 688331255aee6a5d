"""Challenge parsing, credentials sources and the Basic/Bearer flow (httpx.MockTransport registries)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from conformance.client import (
    Credentials,
    RegistryClient,
    Transcript,
    credentials_from_docker_config,
    credentials_from_env,
    parse_www_authenticate,
)
from conformance.client.auth import ChallengeParseError, merge_scopes

REGISTRY = "http://registry.test"
REALM = "http://auth.test/token"


def test_parse_bearer_challenge_quoted() -> None:
    [challenge] = parse_www_authenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push"'
    )
    assert challenge.scheme == "bearer"
    assert challenge.realm == "https://auth.docker.io/token"
    assert challenge.service == "registry.docker.io"
    assert challenge.scopes == ("repository:a/b:pull,push",)


def test_parse_several_challenges_unquoted_and_mixed_case() -> None:
    challenges = parse_www_authenticate(
        'Basic realm=basic-realm, BEARER Realm="a, b" , Service = reg ,error=invalid_token'
    )
    assert [c.scheme for c in challenges] == ["basic", "bearer"]
    assert challenges[0].realm == "basic-realm"
    assert challenges[1].params == {"realm": "a, b", "service": "reg", "error": "invalid_token"}
    assert challenges[1].error == "invalid_token"


def test_parse_token68_escaped_quotes_and_empty() -> None:
    first, second = parse_www_authenticate('Negotiate abc+/==, Basic realm="say \\"hi\\""')
    assert first.token68 == "abc+/==" and second.realm == 'say "hi"'
    assert parse_www_authenticate("") == []
    with pytest.raises(ChallengeParseError):
        parse_www_authenticate('Bearer realm="unterminated')


def test_scope_merging_unions_actions_per_resource() -> None:
    merged = merge_scopes(
        ("repository:a:pull",), ("repository:a:push", "repository:b:pull", "registry:catalog:*")
    )
    assert merged == ("repository:a:pull,push", "repository:b:pull", "registry:catalog:*")
    assert merge_scopes(("repository:host:5000/x:pull",)) == ("repository:host:5000/x:pull",)


def test_credentials_from_env_and_repr_hides_password() -> None:
    assert credentials_from_env({}) is None
    credentials = credentials_from_env({"OCI_USERNAME": "u", "OCI_PASSWORD": "p@ss"})
    assert credentials == Credentials("u", "p@ss")
    assert "p@ss" not in repr(credentials)


def test_credentials_from_docker_config(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "auths": {
                    "https://ghcr.io/v1/": {"auth": base64.b64encode(b"gh:tok:en").decode()},
                    "localhost:5000": {"username": "lo", "password": "pw"},
                }
            }
        )
    )
    assert credentials_from_docker_config("ghcr.io", config) == Credentials("gh", "tok:en")
    assert credentials_from_docker_config("LOCALHOST:5000", config) == Credentials("lo", "pw")
    assert credentials_from_docker_config("other.io", config) is None
    assert credentials_from_docker_config("ghcr.io", tmp_path / "missing.json") is None


class FakeTokenRegistry:
    """A registry demanding Bearer tokens for `scope`s, and its token service, in one handler."""

    def __init__(self, *, credentials: tuple[str, str] | None = None, expires_in: int = 300) -> None:
        self.credentials = credentials
        self.expires_in = expires_in
        self.valid_tokens: dict[str, set[str]] = {}
        self.token_requests: list[httpx.Request] = []
        self.registry_requests: list[httpx.Request] = []
        self.issued = 0

    def revoke_all(self) -> None:
        self.valid_tokens.clear()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            return self.token(request)
        self.registry_requests.append(request)
        needed = "repository:repo:pull" if request.method in ("GET", "HEAD") else "repository:repo:pull,push"
        header = request.headers.get("authorization", "")
        granted = (
            self.valid_tokens.get(header.removeprefix("Bearer "), set())
            if header.startswith("Bearer ")
            else set()
        )
        if needed in granted:
            return httpx.Response(200, json={"ok": True})
        challenge = f'Bearer realm="{REALM}",service="registry.test",scope="{needed}"'
        return httpx.Response(
            401,
            headers={"WWW-Authenticate": challenge},
            json={"errors": [{"code": "UNAUTHORIZED", "message": "x"}]},
        )

    def token(self, request: httpx.Request) -> httpx.Response:
        self.token_requests.append(request)
        if self.credentials is not None:
            expected = "Basic " + base64.b64encode(":".join(self.credentials).encode()).decode()
            if request.headers.get("authorization") != expected:
                return httpx.Response(401, json={"details": "bad credentials"})
        self.issued += 1
        token = f"secret-token-{self.issued}"
        self.valid_tokens[token] = set(request.url.params.get_list("scope"))
        return httpx.Response(
            200, json={"token": token, "access_token": token, "expires_in": self.expires_in}
        )


def make_client(handler: Callable[[httpx.Request], httpx.Response], **options: object) -> RegistryClient:
    return RegistryClient(REGISTRY, transport=httpx.MockTransport(handler), **options)  # type: ignore[arg-type]


def test_bearer_flow_anonymous_then_cached_token() -> None:
    registry = FakeTokenRegistry()
    with make_client(registry) as client:
        assert client.blob_head("repo", "sha256:" + "0" * 64).status_code == 200
        assert client.blob_get("repo", "sha256:" + "0" * 64).status_code == 200
    [token_request] = registry.token_requests
    assert token_request.url.params["service"] == "registry.test"
    assert token_request.url.params.get_list("scope") == ["repository:repo:pull"]
    assert "authorization" not in token_request.headers  # anonymous
    # first request challenged, then retried once; the second reused the cached token
    assert [r.headers.get("authorization") for r in registry.registry_requests] == [
        None,
        "Bearer secret-token-1",
        "Bearer secret-token-1",
    ]


def test_bearer_flow_sends_basic_credentials_to_the_realm_and_redacts_tokens() -> None:
    registry = FakeTokenRegistry(credentials=("user", "pw"))
    transcript = Transcript()
    with make_client(registry, credentials=Credentials("user", "pw"), transcript=transcript) as client:
        assert client.upload_start("repo").status_code == 200
    assert registry.token_requests[0].url.params.get_list("scope") == ["repository:repo:pull,push"]
    rendered = transcript.render()
    assert "secret-token" not in rendered and "cHc" not in rendered.replace("Basic <redacted>", "")
    assert '"token": "<redacted>"' in rendered and "Bearer <redacted>" in rendered
    assert json.dumps(transcript.to_dicts()).count("secret-token") == 0


def test_mount_asks_for_the_source_repository_pull_scope() -> None:
    seen: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            seen.append(request.url.params.get_list("scope"))
            return httpx.Response(200, json={"access_token": "t"})
        if request.headers.get("authorization") == "Bearer t":
            return httpx.Response(201)
        return httpx.Response(401, headers={"WWW-Authenticate": f'Bearer realm="{REALM}",service="s"'})

    with make_client(handler) as client:
        assert client.blob_mount("target", "sha256:" + "1" * 64, "source").status_code == 201
        assert client.catalog().status_code == 201
    assert seen == [["repository:target:pull,push", "repository:source:pull"], ["registry:catalog:*"]]


def test_expired_token_is_refreshed_once_and_never_loops() -> None:
    registry = FakeTokenRegistry()
    with make_client(registry) as client:
        assert client.blob_head("repo", "sha256:" + "0" * 64).status_code == 200
        registry.revoke_all()  # the cached token "expires"
        assert client.blob_head("repo", "sha256:" + "0" * 64).status_code == 200
        assert registry.issued == 2
        # a token service whose tokens never work: exactly one retry per request, then the 401 stands
        registry.valid_tokens = _NeverValid()
        before = len(registry.registry_requests)
        response = client.blob_head("repo", "sha256:" + "0" * 64)
        assert response.status_code == 401
        assert len(registry.registry_requests) - before == 2
        assert registry.issued == 3


class _NeverValid(dict[str, set[str]]):
    def __setitem__(self, key: str, value: set[str]) -> None:
        return None


def test_refused_token_request_returns_the_registry_401() -> None:
    registry = FakeTokenRegistry(credentials=("user", "right"))
    with make_client(registry, credentials=Credentials("user", "wrong")) as client:
        response = client.blob_head("repo", "sha256:" + "0" * 64)
    assert response.status_code == 401
    assert len(registry.token_requests) == 1 and len(registry.registry_requests) == 1
    assert any(e.note and "token request refused with 401" in e.note for e in client.transcript.entries)


def test_basic_challenge_with_and_without_credentials() -> None:
    expected = "Basic " + base64.b64encode(b"u:p").decode()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") == expected:
            return httpx.Response(200)
        return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})

    with make_client(handler) as anonymous:
        assert anonymous.ping().status_code == 401
        assert len(anonymous.transcript) == 1
    with make_client(handler, credentials=Credentials("u", "p")) as client:
        assert client.ping().status_code == 200
        assert client.ping().status_code == 200
        assert [e.status for e in client.transcript.entries] == [401, 200, 200]


def test_raw_request_without_auth_sends_no_credentials_and_does_not_retry() -> None:
    registry = FakeTokenRegistry()
    with make_client(registry) as client:
        client.blob_head("repo", "sha256:" + "0" * 64)
        response = client.request("HEAD", "/v2/repo/blobs/sha256:" + "0" * 64, auth=False)
    assert response.status_code == 401
    assert "authorization" not in registry.registry_requests[-1].headers


def test_challenge_asking_more_scope_gets_a_wider_token_and_short_grants_are_not_retried() -> None:
    scopes_requested: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            scopes = request.url.params.get_list("scope")
            scopes_requested.append(scopes)
            token = "wide" if "repository:other:pull" in scopes else "narrow"
            return httpx.Response(200, json={"token": token})
        if request.url.path == "/v2/":
            if request.headers.get("authorization"):
                return httpx.Response(200)
            return httpx.Response(401, headers={"WWW-Authenticate": f'Bearer realm="{REALM}",service="s"'})
        if request.headers.get("authorization") == "Bearer wide":
            return httpx.Response(200)
        if request.url.path.startswith("/v2/denied/"):
            challenge = f'Bearer realm="{REALM}",service="s",scope="repository:denied:pull"'
            challenge += ',error="insufficient_scope"'
        else:
            challenge = (
                f'Bearer realm="{REALM}",service="s",scope="repository:repo:pull repository:other:pull"'
            )
        return httpx.Response(401, headers={"WWW-Authenticate": challenge})

    with make_client(handler) as client:
        assert client.ping().status_code == 200
        assert client.blob_head("repo", "sha256:" + "0" * 64).status_code == 200
        assert client.blob_head("denied", "sha256:" + "0" * 64).status_code == 401
    assert scopes_requested == [
        [],
        ["repository:repo:pull"],  # proactive, then the challenge asked for more
        ["repository:repo:pull", "repository:other:pull"],
        ["repository:denied:pull"],  # proactive; the short grant is not asked for again
    ]
    assert [e.status for e in client.transcript.entries if "registry.test" in e.url][-1:] == [401]


def test_caller_supplied_authorization_is_sent_as_given_and_not_retried() -> None:
    registry = FakeTokenRegistry()
    with make_client(registry) as client:
        client.blob_head("repo", "sha256:" + "0" * 64)  # learns the challenge, caches a token
        response = client.request(
            "GET", "/v2/repo/blobs/sha256:" + "0" * 64, headers={"Authorization": "Bearer bogus"}
        )
    assert response.status_code == 401
    assert registry.registry_requests[-1].headers["authorization"] == "Bearer bogus"
    assert len(registry.token_requests) == 1


def test_credentials_from_docker_credential_helpers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-fake"
    helper.write_text(
        "#!/bin/sh\n"
        "read server\n"
        'case "$server" in\n'
        '  ghcr.io) echo \'{"ServerURL":"ghcr.io","Username":"gh","Secret":"pat"}\' ;;\n'
        '  store.test) echo \'{"ServerURL":"store.test","Username":"st","Secret":"s3"}\' ;;\n'
        '  token.test) echo \'{"ServerURL":"token.test","Username":"<token>","Secret":"refresh"}\' ;;\n'
        '  *) echo "credentials not found in native keychain"; exit 1 ;;\n'
        "esac\n"
    )
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path('/usr/bin')}:{Path('/bin')}")
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "credHelpers": {"ghcr.io": "fake", "missing.test": "absent"},
                "credsStore": "fake",
                "auths": {"store.test": {}, "plain.test": {"auth": base64.b64encode(b"p:q").decode()}},
            }
        )
    )
    assert credentials_from_docker_config("ghcr.io", config) == Credentials("gh", "pat")
    assert credentials_from_docker_config("store.test", config) == Credentials("st", "s3")
    assert credentials_from_docker_config("token.test", config) is None  # identity tokens unusable
    assert credentials_from_docker_config("missing.test", config) is None  # helper not installed
    assert credentials_from_docker_config("plain.test", config) == Credentials(
        "p", "q"
    )  # store knows nothing
