"""The auth layer over HTTP: challenges, refusals, the token endpoint (GET and POST), visibility, mounts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import httpx
import jwt
import pytest

from conformance.registries import start_reference_server
from tests.reference_server.auth.auth_servers import AuthServer, running_auth_server, start_auth_server

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture(scope="module")
def token_server() -> Iterator[AuthServer]:
    with running_auth_server("token", "--token-ttl", "60") as server:
        yield server


@pytest.fixture(scope="module")
def basic_server() -> Iterator[AuthServer]:
    with running_auth_server("basic") as server:
        yield server


def token(server: AuthServer, *scopes: str, user: str | None = None, ttl: int = 60) -> str:
    response = httpx.get(
        f"{server.url}/auth/token",
        params=[("service", "registry-harness"), *(("scope", s) for s in scopes)],
        auth=server.auth(user) if user else None,
    )
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["token"] == document["access_token"] and document["expires_in"] == ttl
    value: str = document["token"]
    return value


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def push_image(url: str, repo: str, headers: dict[str, str] | None = None, *, auth: object = None) -> str:
    """Push a one-layer image monolithically; return the manifest digest."""
    client = httpx.Client(base_url=url, headers=headers or {}, auth=auth)  # type: ignore[arg-type]
    digests = []
    for blob in (b"layer of " + repo.encode(), b"{}"):
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        response = client.post(f"/v2/{repo}/blobs/uploads/", params={"digest": digest}, content=blob)
        assert response.status_code == 201, response.text
        digests.append((digest, len(blob)))
    (layer, layer_size), (config, config_size) = digests
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config,
                "size": config_size,
            },
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_size}
            ],
        }
    ).encode()
    response = client.put(
        f"/v2/{repo}/manifests/v1", content=manifest, headers={"Content-Type": OCI_MANIFEST}
    )
    assert response.status_code == 201, response.text
    return "sha256:" + hashlib.sha256(manifest).hexdigest()


def test_token_mode_challenges_and_grants(token_server: AuthServer) -> None:
    url = token_server.url
    ping = httpx.get(f"{url}/v2/")
    assert ping.status_code == 401
    assert ping.headers["www-authenticate"] == f'Bearer realm="{url}/auth/token",service="registry-harness"'
    assert ping.json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert ping.headers["docker-distribution-api-version"] == "registry/2.0"
    push = httpx.post(f"{url}/v2/alice/app/blobs/uploads/")
    assert push.status_code == 401
    assert 'scope="repository:alice/app:pull,push"' in push.headers["www-authenticate"]
    # anonymous token: /v2/ works, a private repository does not
    anonymous = token(token_server, "repository:alice/app:pull")
    assert httpx.get(f"{url}/v2/", headers=bearer(anonymous)).status_code == 200
    assert jwt.decode(anonymous, options={"verify_signature": False})["access"] == []
    digest = push_image(
        url, "alice/app", bearer(token(token_server, "repository:alice/app:pull,push", user="alice"))
    )
    denied = httpx.get(f"{url}/v2/alice/app/manifests/{digest}", headers=bearer(anonymous))
    assert denied.status_code == 401 and 'error="insufficient_scope"' in denied.headers["www-authenticate"]
    # bob may pull nothing of alice's, nor push into acme (alice's organisation) ...
    bob = token(token_server, "repository:alice/app:pull", "repository:acme/x:push", user="bob")
    assert jwt.decode(bob, options={"verify_signature": False})["access"] == []
    # ... alice may push into acme; the intersection keeps only what was asked
    alice = token(token_server, "repository:acme/x:push", "repository:bob/x:pull", user="alice")
    assert jwt.decode(alice, options={"verify_signature": False})["access"] == [
        {"type": "repository", "name": "acme/x", "actions": ["push"]}
    ]
    garbage = httpx.get(f"{url}/v2/", headers=bearer("not.a.token"))
    assert garbage.status_code == 401 and 'error="invalid_token"' in garbage.headers["www-authenticate"]
    head = httpx.head(f"{url}/v2/alice/app/manifests/{digest}")
    assert head.status_code == 401 and head.content == b""
    # invalid names are the app's to refuse (400 NAME_INVALID), without touching content
    assert httpx.get(f"{url}/v2/Alice/app/tags/list").json()["errors"][0]["code"] == "NAME_INVALID"


def test_token_endpoint_refuses_wrong_password_and_serves_oauth2_post(token_server: AuthServer) -> None:
    url = token_server.url
    wrong = httpx.get(
        f"{url}/auth/token", params={"scope": "repository:alice/x:pull"}, auth=("alice", "nope")
    )
    assert wrong.status_code == 401 and wrong.json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert httpx.get(f"{url}/auth/token", headers={"Authorization": "Bearer x"}).status_code == 401
    form = {
        "grant_type": "password",
        "username": "alice",
        "password": token_server.passwords["alice"],
        "service": "registry-harness",
        "client_id": "test",
        "scope": "repository:alice/x:pull,push",
    }
    answer = httpx.post(f"{url}/auth/token", data=form)
    assert answer.status_code == 200
    document = answer.json()
    assert document["token_type"] == "Bearer" and document["scope"] == "repository:alice/x:pull,push"
    assert (
        httpx.get(f"{url}/v2/alice/x/tags/list", headers=bearer(document["access_token"])).status_code == 404
    )
    refresh = httpx.post(f"{url}/auth/token", data={"grant_type": "refresh_token", "refresh_token": "x"})
    assert refresh.status_code == 400
    assert httpx.post(f"{url}/auth/token", data={**form, "password": "nope"}).status_code == 401


def test_visibility_endpoint_makes_a_repository_public(token_server: AuthServer) -> None:
    url = token_server.url
    digest = push_image(
        url, "alice/shared", bearer(token(token_server, "repository:alice/shared:pull,push", user="alice"))
    )
    admin = f"{url}/admin/repositories/alice/shared/visibility"
    assert httpx.get(admin, auth=token_server.auth("alice")).json()["visibility"] == "private"
    assert httpx.put(admin, json={"visibility": "public"}, auth=token_server.auth("bob")).status_code == 403
    assert httpx.put(admin, json={"visibility": "public"}).status_code == 401
    assert httpx.put(admin, json={"visibility": "open"}, auth=token_server.auth("alice")).status_code == 400
    changed = httpx.put(admin, json={"visibility": "public"}, auth=token_server.auth("alice"))
    assert changed.json() == {"name": "alice/shared", "visibility": "public"}
    anonymous = token(token_server, "repository:alice/shared:pull,push")
    assert jwt.decode(anonymous, options={"verify_signature": False})["access"] == [
        {"type": "repository", "name": "alice/shared", "actions": ["pull"]}
    ]
    pulled = httpx.get(f"{url}/v2/alice/shared/manifests/{digest}", headers=bearer(anonymous))
    assert pulled.status_code == 200
    assert httpx.post(f"{url}/v2/alice/shared/blobs/uploads/", headers=bearer(anonymous)).status_code == 401


def test_mount_from_a_repository_the_caller_cannot_pull_becomes_an_upload(token_server: AuthServer) -> None:
    url = token_server.url
    push_image(
        url, "alice/secret", bearer(token(token_server, "repository:alice/secret:pull,push", user="alice"))
    )
    layer = "sha256:" + hashlib.sha256(b"layer of alice/secret").hexdigest()
    bob = token(token_server, "repository:bob/copy:pull,push", "repository:alice/secret:pull", user="bob")
    for params in ({"mount": layer, "from": "alice/secret"}, {"mount": layer}):
        answer = httpx.post(f"{url}/v2/bob/copy/blobs/uploads/", params=params, headers=bearer(bob))
        assert answer.status_code == 202, answer.text  # a fresh upload session, not the blob
    assert httpx.head(f"{url}/v2/bob/copy/blobs/{layer}", headers=bearer(bob)).status_code == 404
    alice = token(
        token_server, "repository:acme/copy:pull,push", "repository:alice/secret:pull", user="alice"
    )
    mounted = httpx.post(
        f"{url}/v2/acme/copy/blobs/uploads/",
        params={"mount": layer, "from": "alice/secret"},
        headers=bearer(alice),
    )
    assert mounted.status_code == 201


def test_basic_mode(basic_server: AuthServer) -> None:
    url = basic_server.url
    ping = httpx.get(f"{url}/v2/")
    assert ping.status_code == 401 and ping.headers["www-authenticate"] == 'Basic realm="registry-harness"'
    assert httpx.get(f"{url}/v2/", auth=("alice", "wrong")).status_code == 401
    assert httpx.get(f"{url}/v2/", auth=basic_server.auth("bob")).status_code == 200
    digest = push_image(url, "alice/tool", auth=basic_server.auth("alice"))
    denied = httpx.get(f"{url}/v2/alice/tool/manifests/{digest}", auth=basic_server.auth("bob"))
    assert denied.status_code == 403 and denied.json()["errors"][0]["code"] == "DENIED"
    anonymous = httpx.get(f"{url}/v2/alice/tool/manifests/{digest}")
    assert anonymous.status_code == 401 and "www-authenticate" in anonymous.headers
    assert httpx.get(f"{url}/v2/alice/preset-public/tags/list").status_code == 404  # public: reaches the app
    assert httpx.get(f"{url}/v2/_catalog", auth=basic_server.auth("bob")).json() == {
        "repositories": ["alice/tool"]
    }
    assert httpx.get(f"{url}/auth/token").status_code == 404  # no token endpoint in basic mode


def test_workers_share_one_generated_key_and_bad_files_stop_the_start(tmp_path: object) -> None:
    server = start_auth_server("token", "--workers", "2")
    try:
        keys = {
            jwt.get_unverified_header(token(server, "repository:alice/x:pull", ttl=300))["kid"]
            for _ in range(8)
        }
        assert len(keys) == 1
        log = server.process.log_path.read_text()
        assert "token signing certificate: " + str(server.process.data_dir / "auth" / "token-key.crt") in log
    finally:
        server.process.stop()
    missing = server.workdir / "absent.htpasswd"
    try:
        start_reference_server(extra_args=["--auth", "basic", "--users-file", str(missing)], timeout=10)
    except Exception as exc:
        assert "cannot read users file" in str(exc)
    else:
        raise AssertionError("a missing users file must stop the server")
