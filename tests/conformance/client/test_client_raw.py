"""Byte-exact requests: lying Content-Length, chunked and close-delimited answers, early answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from conformance.client import RegistryClient, RegistryConnectionError, RegistryTimeout
from conformance.content import random_blob
from conformance.registries import RegistryProcess, distribution_available, start_distribution

needs_distribution = pytest.mark.skipif(
    not distribution_available(), reason="Debian's docker-registry (distribution 2.8.2) is not installed"
)


@pytest.fixture(scope="module")
def distribution() -> Iterator[RegistryProcess]:
    if not distribution_available():
        pytest.skip("Debian's docker-registry (distribution 2.8.2) is not installed")
    process = start_distribution()
    yield process
    process.stop()


@needs_distribution
def test_raw_request_round_trip_and_short_content_length(distribution: RegistryProcess) -> None:
    with RegistryClient(distribution.url, timeout=5.0) as client:
        started = client.upload_start("raw/repo")
        assert started.location is not None
        patched = client.request_raw(
            "PATCH",
            started.location,
            headers=[("Content-Type", "application/octet-stream"), ("Content-Length", "5")],
            body=b"0123456789",
        )
        # distribution reads only the announced 5 bytes
        assert patched.status_code == 202 and patched.headers["range"] == "0-4"
        entry = patched.entry
        assert entry.note is not None and "raw request" in entry.note
        assert ("Content-Length", "5") in entry.request_headers and entry.request_body == "0123456789"
        blob = random_blob(1, 10)
        assert client.request_raw("HEAD", f"/v2/raw/repo/blobs/{blob.digest}").status_code == 404
        ping = client.request_raw("GET", "/v2/")
        assert ping.status_code == 200 and ping.json() == {}


@needs_distribution
def test_raw_request_with_a_long_content_length_times_out(distribution: RegistryProcess) -> None:
    with RegistryClient(distribution.url, timeout=1.0) as client:
        started = client.upload_start("raw/stall")
        assert started.location is not None
        began = time.monotonic()
        with pytest.raises(RegistryTimeout):
            client.request_raw("PATCH", started.location, headers=[("Content-Length", "100")], body=b"short")
        assert time.monotonic() - began < 2.0


def serve_once(reply: Callable[[socket.socket], None]) -> tuple[str, threading.Thread]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def run() -> None:
        conn, _ = listener.accept()
        with conn, listener:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            reply(conn)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", thread


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", b"abcde"),
        (
            b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n\r\nclose-delimited body",
            b"close-delimited body",
        ),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", b""),
    ],
    ids=["chunked", "close-delimited", "informational-then-final"],
)
def test_raw_answers_are_framed_by_h11(wire: bytes, expected: bytes) -> None:
    url, thread = serve_once(lambda conn: conn.sendall(wire))
    with RegistryClient(url, timeout=3.0) as client:
        response = client.request_raw("GET", "/v2/x")
    thread.join(timeout=3)
    assert response.content == expected
    assert response.status_code in (200, 204, 404)


def test_raw_answer_cut_short_is_a_connection_error() -> None:
    url, thread = serve_once(lambda conn: conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
    with RegistryClient(url, timeout=3.0) as client, pytest.raises(RegistryConnectionError) as caught:
        client.request_raw("GET", "/v2/x")
    thread.join(timeout=3)
    partial = caught.value.partial
    assert partial is not None and partial.status_code == 200 and partial.content == b"abc"


def test_early_answer_while_the_body_is_still_sent_is_read() -> None:
    def reply(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbig!")

    url, thread = serve_once(reply)
    with RegistryClient(url, timeout=3.0) as client:
        response = client.request_raw(
            "PUT", "/v2/x/manifests/y", headers=[("Content-Length", str(32 << 20))], body=b"x" * (32 << 20)
        )
    thread.join(timeout=3)
    assert response.status_code == 413 and response.content == b"big!"
