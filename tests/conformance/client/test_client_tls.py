"""HTTPS through the deadline transport: CA bundle verification, refusal of unknown CAs, TLS stalls."""

from __future__ import annotations

import http.server
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.client import RegistryClient, RegistryConnectionError, RegistryTimeout
from tests.support.certificates import self_signed


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/v2/":
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
            self.end_headers()
            self.wfile.write(b"{}")
            return
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        self.wfile.flush()
        time.sleep(3)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()
    server.server_close()


def test_https_with_a_ca_bundle(tls_server: tuple[str, Path]) -> None:
    url, cert = tls_server
    with RegistryClient(url, verify=str(cert), timeout=5.0) as client:
        response = client.ping()
    assert (
        response.status_code == 200 and response.headers["docker-distribution-api-version"] == "registry/2.0"
    )


def test_https_with_verification_off(tls_server: tuple[str, Path]) -> None:
    with RegistryClient(tls_server[0], verify=False, timeout=5.0) as client:
        assert client.ping().status_code == 200


def test_unknown_ca_is_a_connection_error(tls_server: tuple[str, Path]) -> None:
    with (
        RegistryClient(tls_server[0], timeout=5.0) as client,
        pytest.raises(RegistryConnectionError) as caught,
    ):
        client.ping()
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)


def test_tls_body_stall_times_out(tls_server: tuple[str, Path]) -> None:
    url, cert = tls_server
    with RegistryClient(url, verify=str(cert), timeout=1.0) as client:
        started = time.monotonic()
        with pytest.raises(RegistryTimeout):
            client.blob_get("r", "sha256:" + "0" * 64)
        assert time.monotonic() - started < 2.0
