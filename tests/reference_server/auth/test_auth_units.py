"""Scope grammar, access model, users file, signing key and tokens of reference_server.auth (no server)."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import time
from pathlib import Path

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from reference_server.auth.access import AccessFileError, AccessModel, VisibilityStore, load_access_file
from reference_server.auth.keys import SigningKeyError, libtrust_key_id, load_signing_key
from reference_server.auth.scopes import ResourceScope, needed_scope, parse_scope, parse_scopes
from reference_server.auth.tokens import InvalidTokenError, TokenIssuer, TokenVerifier
from reference_server.auth.users import UsersFile, UsersFileError, parse_users
from reference_server.routes import match


def test_scope_grammar() -> None:
    assert parse_scope("repository:a/b:pull,push") == ResourceScope("repository", "a/b", ("pull", "push"))
    assert parse_scope("repository:localhost:5000/x:pull") == ResourceScope(
        "repository", "localhost:5000/x", ("pull",)
    )
    assert parse_scope("repository(plugin):x:pull") == ResourceScope("repository", "x", ("pull",))
    assert parse_scope("registry:catalog:*") == ResourceScope("registry", "catalog", ("*",))
    assert parse_scope("repository:x:pull,pull,") == ResourceScope("repository", "x", ("pull",))
    for bad in ("repository", "repository:x", "Repo:x:pull", "repository:x:PULL", ":x:pull"):
        assert parse_scope(bad) is None, bad
    assert [str(s) for s in parse_scopes(["repository:a:pull repository:b:push", "junk"])] == [
        "repository:a:pull",
        "repository:b:push",
    ]


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/v2/", None),
        ("GET", "/v2/_catalog", "registry:catalog:*"),
        ("GET", "/v2/a/b/tags/list", "repository:a/b:pull"),
        ("HEAD", "/v2/a/manifests/v1", "repository:a:pull"),
        ("PUT", "/v2/a/manifests/v1", "repository:a:pull,push"),
        ("DELETE", "/v2/a/manifests/v1", "repository:a:delete"),
        ("POST", "/v2/a/blobs/uploads/", "repository:a:pull,push"),
        ("GET", "/v2/a/blobs/uploads/" + "0" * 32, "repository:a:pull,push"),
        ("DELETE", "/v2/a/blobs/sha256:" + "0" * 64, "repository:a:delete"),
        ("GET", "/v2/a/referrers/sha256:" + "0" * 64, "repository:a:pull"),
    ],
)
def test_needed_scope(method: str, path: str, expected: str | None) -> None:
    route = match(path)
    assert route is not None
    scope = needed_scope(route, method)
    assert (str(scope) if scope else None) == expected


def repo(name: str, *actions: str) -> ResourceScope:
    return ResourceScope("repository", name, actions)


def test_access_model(tmp_path: Path) -> None:
    access_file = tmp_path / "access.yml"
    access_file.write_text("organizations:\n  acme: [alice]\npublic: [bob/open]\n")
    orgs, public = load_access_file(access_file)
    model = AccessModel(orgs, public, VisibilityStore(tmp_path / "state"))
    assert model.allowed("alice", repo("alice/x/y")) == ("pull", "push", "delete")
    assert model.allowed("Alice", repo("alice/x")) == ("pull", "push", "delete")  # namespaces are lower-case
    assert model.allowed("alice", repo("acme/tool")) == ("pull", "push", "delete")
    assert model.allowed("bob", repo("acme/tool")) == ()
    assert model.allowed("bob", repo("alice/x")) == ()
    assert model.allowed(None, repo("bob/open")) == ("pull",)
    assert model.allowed("alice", repo("bob/open")) == ("pull",)
    assert model.grant("alice", repo("bob/open", "pull", "push")).actions == ("pull",)
    assert model.grant(None, ResourceScope("registry", "catalog", ("*",))).actions == ()
    assert model.grant("bob", ResourceScope("registry", "catalog", ("*",))).actions == ("*",)
    # owners' choice overrides the file, and a second store (another worker) sees it
    model.visibility.set("bob/open", "private")
    model.visibility.set("alice/x", "public")
    other = AccessModel(orgs, public, VisibilityStore(tmp_path / "state"))
    assert other.allowed(None, repo("bob/open")) == ()
    assert other.allowed(None, repo("alice/x")) == ("pull",)
    (tmp_path / "bad.yml").write_text("organizations: [x]\n")
    with pytest.raises(AccessFileError):
        load_access_file(tmp_path / "bad.yml")


def test_users_file_reads_htpasswd_bcrypt(tmp_path: Path) -> None:
    line = subprocess.run(["htpasswd", "-Bbn", "alice", "s3cret"], capture_output=True, text=True, check=True)
    users_path = tmp_path / "users"
    users_path.write_text("# comment\n\n" + line.stdout)
    users = UsersFile(users_path)
    assert users.check("alice", "s3cret") and users.check("alice", "s3cret")  # second from the cache
    assert not users.check("alice", "wrong") and not users.check("bob", "s3cret")
    with pytest.raises(UsersFileError, match="line 1"):
        parse_users("carol:{SHA}abc\n")
    time.sleep(0.01)
    users_path.write_text(line.stdout.replace("alice", "alicia"))
    assert not users.check("alice", "s3cret") and users.check("alicia", "s3cret")  # file re-read


def test_signing_key_certificate_and_libtrust_kid(tmp_path: Path) -> None:
    key = load_signing_key(tmp_path / "auth" / "token-key.pem", generate=True)
    assert (tmp_path / "auth" / "token-key.pem").stat().st_mode & 0o777 == 0o600
    certificate = x509.load_pem_x509_certificate(key.certificate_path.read_bytes())
    assert certificate.public_key() == key.public_key
    again = load_signing_key(tmp_path / "auth" / "token-key.pem", generate=True)
    assert again.key_id == key.key_id  # same key on the next start
    der = key.public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    expected = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode()
    assert libtrust_key_id(key.public_key).replace(":", "") == expected
    assert len(key.key_id.split(":")) == 12 and all(len(group) == 4 for group in key.key_id.split(":"))
    (tmp_path / "rsa.pem").write_text("not a key")
    with pytest.raises(SigningKeyError):
        load_signing_key(tmp_path / "rsa.pem", generate=False)


def test_tokens_round_trip_and_refusals(tmp_path: Path) -> None:
    key = load_signing_key(tmp_path / "k.pem", generate=True)
    issuer = TokenIssuer(key, "iss", ttl=60)
    granted = [ResourceScope("repository", "a/b", ("pull",)), ResourceScope("repository", "c", ())]
    issued = issuer.issue("alice", "svc", granted)
    header = jwt.get_unverified_header(issued.token)
    assert header["alg"] == "ES256" and header["kid"] == key.key_id
    claims = jwt.decode(issued.token, options={"verify_signature": False})
    assert {"iss", "sub", "aud", "exp", "nbf", "iat", "jti"} <= set(claims)
    assert claims["access"] == [{"type": "repository", "name": "a/b", "actions": ["pull"]}]
    verified = TokenVerifier(key, "iss", "svc").verify(issued.token)
    assert verified.subject == "alice"
    assert verified.allows(ResourceScope("repository", "a/b", ("pull",)))
    assert not verified.allows(ResourceScope("repository", "a/b", ("pull", "push")))
    with pytest.raises(InvalidTokenError):
        TokenVerifier(key, "iss", "other-service").verify(issued.token)
    with pytest.raises(InvalidTokenError):
        TokenVerifier(key, "other-issuer", "svc").verify(issued.token)
    with pytest.raises(InvalidTokenError):
        TokenVerifier(key, "iss", "svc").verify(issued.token[:-4] + "AAAA")
    other_key = load_signing_key(tmp_path / "other.pem", generate=True)
    with pytest.raises(InvalidTokenError):
        TokenVerifier(other_key, "iss", "svc").verify(issued.token)
    expired = TokenIssuer(key, "iss", ttl=1).issue(None, "svc", [])
    time.sleep(2.1)
    with pytest.raises(InvalidTokenError):
        TokenVerifier(key, "iss", "svc").verify(expired.token)
