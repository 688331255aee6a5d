"""Blob pulls over real HTTP through an in-process server: byte-exact on every read path, loop never blocked.

The app runs in this process (`in_process.InProcessServer`: uvicorn as the CLI starts it, on loopback in
a thread) so that tests can force file_reader's pool path or make a disk read slow.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from reference_server import app as app_module
from reference_server import file_reader
from reference_server.file_reader import INLINE_MAX, NOWAIT, PIECE, FilePieces
from tests.reference_server.in_process import InProcessServer
from tests.reference_server.read_fakes import REAL_PREADV, GatedRead, half_cached, never_cached, unsupported
from tests.reference_server.registry_client import sha256

REPO = "pulls/blobs"
SIZES = [1, INLINE_MAX + 1, PIECE - 1, PIECE + 1, 3 * PIECE + 12345, 9 * PIECE + 7]
LARGE = 9 * PIECE + 7  # above app.WATCH_DISCONNECT_ABOVE: the disconnect watcher runs
RANGES = ["bytes=0-0", f"bytes={PIECE - 3}-{PIECE + 3}", "bytes=17-", "bytes=-1000", f"bytes={PIECE}-"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    running = InProcessServer(tmp_path_factory.mktemp("in-process-registry"))
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def client(server: InProcessServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30.0) as http:
        yield http


@pytest.fixture(scope="module")
def blobs(client: httpx.Client) -> dict[int, tuple[str, bytes]]:
    """One pushed blob per size: size -> (digest, bytes)."""
    pushed: dict[int, tuple[str, bytes]] = {}
    for size in SIZES:
        data = os.urandom(size)
        digest = sha256(data)
        response = client.post(f"/v2/{REPO}/blobs/uploads/", params={"digest": digest}, content=data)
        assert response.status_code == 201, response.text
        pushed[size] = (digest, data)
    return pushed


@pytest.fixture(autouse=True)
def fresh_nowait_decision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(NOWAIT, "supported", None)


READ_PATHS: dict[str, Callable[[int, memoryview, int], int] | None] = {
    "cached": None,
    "never-cached": never_cached,
    "half-cached": half_cached,
    "nowait-unsupported": unsupported,
}


def force(monkeypatch: pytest.MonkeyPatch, nowait: Callable[[int, memoryview, int], int] | None) -> list[str]:
    """Route RWF_NOWAIT reads to `nowait` (None: the real kernel); returns the threads of blocking reads."""
    blocking_threads: list[str] = []
    if nowait is None:
        return blocking_threads

    def preadv(fd: int, buffers: list[memoryview], offset: int, flags: int = 0) -> int:
        if flags:
            return nowait(fd, buffers[0], offset)
        blocking_threads.append(threading.current_thread().name)
        return REAL_PREADV(fd, buffers, offset)

    monkeypatch.setattr(os, "preadv", preadv)
    return blocking_threads


@pytest.mark.parametrize("path", READ_PATHS)
def test_pulls_are_byte_exact_on_every_read_path(
    monkeypatch: pytest.MonkeyPatch, client: httpx.Client, blobs: dict[int, tuple[str, bytes]], path: str
) -> None:
    blocking_threads = force(monkeypatch, READ_PATHS[path])
    for size, (digest, data) in blobs.items():
        response = client.get(f"/v2/{REPO}/blobs/{digest}")
        assert response.status_code == 200
        assert response.headers["content-length"] == str(size)
        assert response.content == data, size
        for header in RANGES:
            ranged = client.get(f"/v2/{REPO}/blobs/{digest}", headers={"Range": header})
            first_text, _, last_text = header.removeprefix("bytes=").partition("-")
            if first_text == "":
                first, last = max(0, size - int(last_text)), size - 1
            else:
                first, last = int(first_text), min(size - 1, int(last_text) if last_text else size - 1)
            if first >= size:
                assert ranged.status_code == 416, (size, header)
                continue
            assert ranged.status_code == 206, (size, header)
            assert ranged.headers["content-range"] == f"bytes {first}-{last}/{size}"
            assert ranged.content == data[first : last + 1], (size, header)
    if READ_PATHS[path] is not None:
        assert any(name.startswith("blob-read") for name in blocking_threads)  # the pool path really ran


def test_loop_answers_other_requests_while_a_read_waits_for_the_disk(
    monkeypatch: pytest.MonkeyPatch, server: InProcessServer, blobs: dict[int, tuple[str, bytes]]
) -> None:
    digest, data = blobs[3 * PIECE + 12345]
    force(monkeypatch, never_cached)
    disk = GatedRead()
    monkeypatch.setattr(file_reader, "read_blocking", disk)
    pulled: list[bytes] = []

    def pull() -> None:
        with httpx.Client(base_url=server.url, timeout=60.0) as http:
            pulled.append(http.get(f"/v2/{REPO}/blobs/{digest}").content)

    puller = threading.Thread(target=pull)
    puller.start()
    try:
        assert disk.started.wait(30), "the pull never reached a disk read"
        with httpx.Client(base_url=server.url, timeout=10.0) as http:
            ping = http.get("/v2/")
        assert ping.status_code == 200
        assert not disk.release.is_set() and puller.is_alive()  # answered while the slow read was in progress
    finally:
        disk.release.set()
        puller.join(60)
    assert pulled == [data]


def test_client_gone_during_a_slow_read_closes_the_file(
    monkeypatch: pytest.MonkeyPatch, server: InProcessServer, blobs: dict[int, tuple[str, bytes]]
) -> None:
    digest, data = blobs[LARGE]
    force(monkeypatch, never_cached)
    disk = GatedRead()
    monkeypatch.setattr(file_reader, "read_blocking", disk)
    opened: list[int] = []
    closed = threading.Event()
    closes: list[int] = []
    real_close = os.close

    class RecordingPieces(FilePieces):
        __slots__ = ()

        def __init__(self, fd: int, offset: int, length: int) -> None:
            opened.append(fd)
            super().__init__(fd, offset, length)

    def recording_close(number: int) -> None:
        real_close(number)
        closes.append(number)
        if opened and number == opened[0]:
            closed.set()

    monkeypatch.setattr(app_module, "FilePieces", RecordingPieces)
    monkeypatch.setattr(os, "close", recording_close)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(f"GET /v2/{REPO}/blobs/{digest} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        assert disk.started.wait(30)
    assert len(opened) == 1
    assert not closed.is_set()  # the pool read still uses the fd
    disk.release.set()
    assert closed.wait(30), "the blob's fd was never closed after the client went away"
    assert closes.count(opened[0]) == 1
    # The server is fine afterwards: the same blob pulls completely.
    monkeypatch.undo()
    received = hashlib.sha256()
    with (
        httpx.Client(base_url=server.url, timeout=30.0) as http,
        http.stream("GET", f"/v2/{REPO}/blobs/{digest}") as response,
    ):
        for piece in response.iter_bytes():
            received.update(piece)
    assert "sha256:" + received.hexdigest() == digest
    assert len(data) == LARGE
