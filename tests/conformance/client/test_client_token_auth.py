"""Bearer token flow against distribution 2.8.2 with token auth, trusting a token server run in this test.

The token server grants `pull,push` on every repository to `user:pw` and only `pull` to anonymous
callers. distribution verifies the ES256 JWTs through the `x5c` certificate in its root bundle.
"""

from __future__ import annotations

import base64
import datetime
import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conformance.client import Credentials, RegistryClient, Transcript
from conformance.content import image_manifest, random_blob
from conformance.registries import RegistryProcess, distribution_available, start_distribution

pytestmark = pytest.mark.skipif(
    not distribution_available(), reason="Debian's docker-registry (distribution 2.8.2) is not installed"
)

SERVICE = "harness-registry"
ISSUER = "harness-token-issuer"
USER, PASSWORD = "user", "pw"


@dataclass
class TokenService:
    key: ec.EllipticCurvePrivateKey
    cert_der: bytes
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    authenticated: list[bool] = field(default_factory=list)

    def issue(self, scopes: list[str], authenticated: bool) -> str:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            wanted = actions.split(",")
            allowed = wanted if authenticated else [a for a in wanted if a == "pull"]
            access.append({"type": kind, "name": name, "actions": allowed})
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": USER if authenticated else "",
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        header = {"x5c": [base64.b64encode(self.cert_der).decode()]}
        return jwt.encode(claims, self.key, algorithm="ES256", headers=header)


def make_handler(service: TokenService) -> type[http.server.BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            service.requests.append(query)
            header = self.headers.get("Authorization")
            if header is not None and header != expected:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            service.authenticated.append(header is not None)
            token = service.issue(query.get("scope", []), header is not None)
            body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Handler


@pytest.fixture(scope="module")
def token_registry(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RegistryProcess, TokenService]]:
    directory: Path = tmp_path_factory.mktemp("token-auth")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "harness token signer")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    bundle = directory / "root.pem"
    bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    service = TokenService(key, cert.public_bytes(serialization.Encoding.DER))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(service))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    realm = f"http://127.0.0.1:{server.server_address[1]}/token"
    auth_yaml = (
        "auth:\n  token:\n"
        f"    realm: {realm}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {bundle}\n"
    )
    process = start_distribution(auth_yaml=auth_yaml)
    try:
        yield process, service
    finally:
        process.stop()
        server.shutdown()
        server.server_close()


def test_push_and_pull_through_token_auth_with_a_cached_token(
    token_registry: tuple[RegistryProcess, TokenService],
) -> None:
    process, service = token_registry
    service.requests.clear()
    transcript = Transcript()
    with RegistryClient(
        process.url, credentials=Credentials(USER, PASSWORD), transcript=transcript
    ) as client:
        image = image_manifest(1, layers=2)
        client.push_image("token/repo", image, tag="v1")
        fetched = client.manifest_get("token/repo", "v1")
        assert fetched.status_code == 200 and fetched.content == image.data
        assert client.blob_get_digest("token/repo", image.blobs_to_push[1].digest).status_code == 200
    scopes = [tuple(query.get("scope", [])) for query in service.requests]
    # one token for push (pull,push) and one for pull, each fetched once and then reused
    assert scopes == [("repository:token/repo:pull,push",), ("repository:token/repo:pull",)]
    assert all(query["service"] == [SERVICE] for query in service.requests)
    assert [entry.status for entry in transcript.entries].count(401) == 1
    rendered = transcript.render()
    assert "eyJ" not in rendered  # no JWT anywhere in the transcript
    assert "Bearer <redacted>" in rendered and '"token": "<redacted>"' in rendered


def test_anonymous_pull_token_and_refused_push_without_a_loop(
    token_registry: tuple[RegistryProcess, TokenService],
) -> None:
    process, service = token_registry
    with RegistryClient(process.url, credentials=Credentials(USER, PASSWORD)) as writer:
        blob = random_blob(3, 100)
        writer.push_blob("token/public", blob)
    service.requests.clear()
    with RegistryClient(process.url) as anonymous:
        assert anonymous.blob_head("token/public", blob.digest).status_code == 200
        assert service.authenticated[-1] is False
        refused = anonymous.upload_start("token/public")
        assert refused.status_code == 401
        challenge = refused.headers["www-authenticate"]
        assert 'error="insufficient_scope"' in challenge
        # HEAD 401, token, HEAD 200, token (pull,push), POST 401: a short grant is not asked for again
        assert [(e.method, e.status) for e in anonymous.transcript.entries] == [
            ("HEAD", 401),
            ("GET", 200),
            ("HEAD", 200),
            ("GET", 200),
            ("POST", 401),
        ]


def test_wrong_password_is_refused_by_the_token_service(
    token_registry: tuple[RegistryProcess, TokenService],
) -> None:
    process, _ = token_registry
    with RegistryClient(process.url, credentials=Credentials(USER, "wrong")) as client:
        response = client.blob_head("token/repo", "sha256:" + "0" * 64)
    assert response.status_code == 401
    notes = [entry.note or "" for entry in client.transcript.entries]
    assert any("token request refused with 401" in note for note in notes)
    assert len(client.transcript) == 2  # the 401, one refused token request; nothing more
