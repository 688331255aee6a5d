"""The client never hangs: stalls and trickles end in RegistryTimeout within the deadline."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from conformance.client import RegistryClient, RegistryConnectionError, RegistryTimeout, Transcript
from tests.support.misbehaving import Behaviour, MisbehavingServer


@pytest.fixture
def serve() -> Iterator[Callable[[Behaviour], MisbehavingServer]]:
    servers: list[MisbehavingServer] = []

    def start(behaviour: Behaviour) -> MisbehavingServer:
        server = MisbehavingServer(behaviour)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def _sleep_until_closed(conn: socket.socket, seconds: float = 5.0) -> None:
    conn.settimeout(seconds)
    with contextlib.suppress(OSError):
        conn.recv(1)


def stall_after_headers(conn: socket.socket) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: application/octet-stream\r\n\r\nabc"
    )
    _sleep_until_closed(conn)


def stall_before_headers(conn: socket.socket) -> None:
    _sleep_until_closed(conn)


def trickle_body(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(100):
        try:
            conn.sendall(b"x")
        except OSError:
            return
        time.sleep(0.2)


def trickle_headers(conn: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 100:
        try:
            conn.sendall(bytes([byte]))
        except OSError:
            return
        time.sleep(0.2)


TIMEOUT = 1.0
MARGIN = 1.0  # scheduling slack on a shared 2-core machine


@pytest.mark.parametrize(
    ("behaviour", "phase"),
    [
        (stall_after_headers, "while reading the body"),
        (stall_before_headers, "before the response headers"),
        (trickle_body, "while reading the body"),
        (trickle_headers, "before the response headers"),
    ],
)
def test_stalls_and_trickles_end_in_registry_timeout_within_the_deadline(
    serve: Callable[[Behaviour], MisbehavingServer], behaviour: Behaviour, phase: str
) -> None:
    server = serve(behaviour)
    transcript = Transcript()
    with RegistryClient(server.url, timeout=TIMEOUT, transcript=transcript) as client:
        started = time.monotonic()
        with pytest.raises(RegistryTimeout) as caught:
            client.blob_get("repo", "sha256:" + "a" * 64)
        elapsed = time.monotonic() - started
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + MARGIN, elapsed
    message = str(caught.value)
    assert "GET" in message and "/v2/repo/blobs/sha256:" in message
    assert phase in message
    entry = caught.value.entry
    assert entry is not None and entry is transcript.last
    assert entry.error is not None and "timeout" in entry.error
    assert "! timeout" in transcript.render()


def test_per_call_timeout_overrides_the_client_default(
    serve: Callable[[Behaviour], MisbehavingServer],
) -> None:
    server = serve(stall_after_headers)
    with RegistryClient(server.url, timeout=30.0) as client:
        started = time.monotonic()
        with pytest.raises(RegistryTimeout):
            client.request("GET", "/v2/", timeout=0.5)
        assert time.monotonic() - started < 0.5 + MARGIN


def test_streamed_digest_download_times_out_too(serve: Callable[[Behaviour], MisbehavingServer]) -> None:
    server = serve(trickle_body)
    with RegistryClient(server.url, timeout=TIMEOUT) as client:
        started = time.monotonic()
        with pytest.raises(RegistryTimeout):
            client.blob_get_digest("repo", "sha256:" + "a" * 64)
        assert time.monotonic() - started < TIMEOUT + MARGIN


def test_connection_refused_is_a_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transcript = Transcript()
    client = RegistryClient(f"http://127.0.0.1:{port}", timeout=2.0, transcript=transcript)
    with client, pytest.raises(RegistryConnectionError) as caught:
        client.ping()
    assert caught.value.entry is transcript.last
    assert caught.value.entry is not None and caught.value.entry.status is None


def test_connection_closed_mid_body_is_a_connection_error(
    serve: Callable[[Behaviour], MisbehavingServer],
) -> None:
    def close_early(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc")

    server = serve(close_early)
    with RegistryClient(server.url, timeout=2.0) as client, pytest.raises(RegistryConnectionError) as caught:
        client.blob_get("repo", "sha256:" + "a" * 64)
    assert "GET" in str(caught.value)
    partial = caught.value.partial  # what arrived is still there to judge
    assert partial is not None and partial.status_code == 200 and partial.content == b"abc"
    assert partial.headers["content-length"] == "1000"


def test_no_partial_response_when_nothing_arrived(serve: Callable[[Behaviour], MisbehavingServer]) -> None:
    server = serve(stall_before_headers)
    with RegistryClient(server.url, timeout=0.5) as client, pytest.raises(RegistryTimeout) as caught:
        client.ping()
    assert caught.value.partial is None
