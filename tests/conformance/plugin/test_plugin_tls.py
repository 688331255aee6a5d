"""TLS options reach the client: an https registry with a self-signed certificate fails without trust,
passes with --registry-ca-bundle, --registry-insecure or OCI_TLS=insecure."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conformance.plugin.plugin_runs import run_inner
from tests.support.certificates import self_signed

pytest_plugins = ["pytester"]

PING_SUITE = Path(__file__).resolve().parents[3] / "conformance" / "suites" / "test_ping.py"


class PingOnly(BaseHTTPRequestHandler):
    """Answers GET /v2/ like a registry (200, `{}`), everything else 404."""

    def do_GET(self) -> None:
        body = b"{}" if self.path == "/v2/" else b""
        self.send_response(200 if self.path == "/v2/" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), PingOnly)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()


def test_untrusted_certificate_fails_the_check(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tls_registry: tuple[str, Path]
) -> None:
    host, _ = tls_registry
    run = run_inner(pytester, monkeypatch, "", str(PING_SUITE), "--registry-url", f"https://{host}")
    run.result.assert_outcomes(failed=3)
    message = run.check("test_api_version_check_answers_200")["message"]
    assert message.startswith("RegistryConnectionError:") and "CERTIFICATE_VERIFY_FAILED" in message


@pytest.mark.parametrize("how", ["ca-bundle", "insecure-flag", "oci-tls-insecure"])
def test_trusted_or_unverified_certificate_passes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tls_registry: tuple[str, Path], how: str
) -> None:
    host, cert = tls_registry
    args: tuple[str, ...] = {
        "ca-bundle": ("--registry-url", f"https://{host}", "--registry-ca-bundle", str(cert)),
        "insecure-flag": ("--registry-url", f"https://{host}", "--registry-insecure"),
        "oci-tls-insecure": (),
    }[how]
    env = {"OCI_REGISTRY": host, "OCI_TLS": "insecure"} if how == "oci-tls-insecure" else {}
    run = run_inner(pytester, monkeypatch, "", str(PING_SUITE), *args, env=env)
    run.result.assert_outcomes(passed=3)
    run.result.stdout.fnmatch_lines([f"registry-harness conformance: https://{host}, namespace *"])
    assert run.results["registry"]["url"] == f"https://{host}"
    assert run.results["server_headers"]["(status)"] == "200"
