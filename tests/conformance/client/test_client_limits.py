"""The minimum body rate and the check deadline end slow exchanges early, and say which limit did it."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest

from conformance.client import RegistryClient, RegistryTimeout, Transcript, transport
from tests.support.misbehaving import Behaviour, MisbehavingServer

WINDOW = 1.0
MARGIN = 1.0  # scheduling slack on a shared 2-core machine
DIGEST = "sha256:" + "a" * 64


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


@pytest.fixture(autouse=True)
def short_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "STALL_WINDOW", WINDOW)


def _send(conn: socket.socket, data: bytes) -> bool:
    try:
        conn.sendall(data)
    except OSError:
        return False
    return True


def trickle(conn: socket.socket) -> None:
    """Headers at once, then 10 bytes every 0.1 s: never idle for a read timeout, 100 bytes/s."""
    if not _send(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"):
        return
    for _ in range(300):
        if not _send(conn, b"x" * 10):
            return
        time.sleep(0.1)


def idle_body(conn: socket.socket) -> None:
    """Headers and a few bytes, then silence."""
    _send(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc")
    time.sleep(10)


def slow_start_fast_body(conn: socket.socket) -> None:
    """Thinks for 2.5 windows before the headers (a registry hashing a big upload), then sends at once."""
    time.sleep(2.5 * WINDOW)
    _send(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n" + b"y" * 200000)


def steady_body(conn: socket.socket) -> None:
    """64 KiB/s for 3 windows: slow, but above the minimum rate."""
    size = 3 * 65536
    if not _send(conn, f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode()):
        return
    for _ in range(3 * 8):
        if not _send(conn, b"z" * 8192):
            return
        time.sleep(0.125)


def stall_before_headers(conn: socket.socket) -> None:
    time.sleep(10)


@pytest.mark.parametrize("behaviour", [trickle, idle_body], ids=["trickle", "idle"])
def test_a_body_below_the_minimum_rate_is_stalled_long_before_the_deadline(
    serve: Callable[[Behaviour], MisbehavingServer], behaviour: Behaviour
) -> None:
    server = serve(behaviour)
    transcript = Transcript()
    with RegistryClient(server.url, timeout=30.0, min_rate=1024.0, transcript=transcript) as client:
        started = time.monotonic()
        with pytest.raises(RegistryTimeout) as caught:
            client.blob_get("repo", DIGEST)
        elapsed = time.monotonic() - started
    assert WINDOW * 0.9 <= elapsed < 2 * WINDOW + MARGIN, elapsed
    message = str(caught.value)
    assert message.startswith(f"GET {server.url}/v2/repo/blobs/{DIGEST}")
    assert "body stalled" in message and "while reading the body" in message
    assert transcript.last is not None and "body stalled" in (transcript.last.error or "")


@pytest.mark.parametrize("behaviour", [slow_start_fast_body, steady_body], ids=["slow-start", "steady"])
def test_slow_but_moving_answers_are_not_stalled(
    serve: Callable[[Behaviour], MisbehavingServer], behaviour: Behaviour
) -> None:
    server = serve(behaviour)
    with RegistryClient(server.url, timeout=30.0, min_rate=1024.0) as client:
        response = client.blob_get("repo", DIGEST)
    assert response.status_code == 200 and len(response.content) >= 3 * 65536


def test_without_a_minimum_rate_only_the_request_deadline_ends_a_trickle(
    serve: Callable[[Behaviour], MisbehavingServer],
) -> None:
    server = serve(trickle)
    with RegistryClient(server.url, timeout=3 * WINDOW, min_rate=0.0) as client:
        started = time.monotonic()
        with pytest.raises(RegistryTimeout) as caught:
            client.blob_get("repo", DIGEST)
        elapsed = time.monotonic() - started
    assert 3 * WINDOW * 0.9 <= elapsed < 3 * WINDOW + MARGIN, elapsed
    assert "request deadline of 3 s exceeded" in str(caught.value)


def test_the_check_deadline_ends_every_request_of_the_check(
    serve: Callable[[Behaviour], MisbehavingServer],
) -> None:
    server = serve(stall_before_headers)
    with RegistryClient(server.url, timeout=30.0) as client, transport.check_deadline(1.5):
        started = time.monotonic()
        with pytest.raises(RegistryTimeout) as first:
            client.blob_get("repo", DIGEST)
        assert 1.5 * 0.9 <= time.monotonic() - started < 1.5 + MARGIN
        again = time.monotonic()
        with pytest.raises(RegistryTimeout) as second:
            client.request_raw("GET", "/v2/")
        assert time.monotonic() - again < MARGIN  # nothing left: the next request ends at once
    assert "check deadline of 1.5 s exceeded" in str(first.value)
    assert f"GET {server.url}/v2/repo/blobs/{DIGEST}" in str(first.value)
    assert "/v2/" in str(second.value)


def test_outside_a_check_deadline_a_request_keeps_its_own(
    serve: Callable[[Behaviour], MisbehavingServer],
) -> None:
    server = serve(stall_before_headers)
    with RegistryClient(server.url, timeout=1.0) as client, transport.check_deadline(None):
        started = time.monotonic()
        with pytest.raises(RegistryTimeout) as caught:
            client.ping()
        assert time.monotonic() - started < 1.0 + MARGIN
    assert "request deadline of 1 s exceeded" in str(caught.value)
