"""Upload bodies read straight from the socket (direct_body.py, http_protocol.py) over real loopback HTTP.

The server runs in this process (`InProcessServer`, the CLI's protocol) so each test can see whether the
direct path really ran (a spy around `SocketCopy.run`, which still does the work) or force its fallbacks.
Every stored blob is pulled back and compared byte for byte; raw sockets check what httpx hides: bytes of
the body arriving with the headers, ``Expect: 100-continue``, a request pipelined right behind a large
body, a client that goes away or stalls mid-body, and that the connection stays usable (or is closed)
afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conformance.registries import start_reference_server
from reference_server import direct_body
from reference_server.digests import HashingWriter, new_hasher
from reference_server.direct_body import DIRECT_MIN, PIECE, SocketCopy
from tests.reference_server.auth.auth_servers import running_auth_server
from tests.reference_server.in_process import InProcessServer
from tests.reference_server.registry_client import sha256, unique_repo

BIG = 3 * DIRECT_MIN + 12345
IDLE_TIMEOUT = 1.5


class CopySpy:
    """Records every direct copy (bytes left on the socket) while the real `SocketCopy.run` does it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.remaining: list[int] = []
        self.threads: list[str] = []
        real = SocketCopy.run

        def run(copy: SocketCopy, head: bytes, remaining: int, writer: HashingWriter) -> None:
            self.remaining.append(remaining)
            self.threads.append(threading.current_thread().name)
            real(copy, head, remaining, writer)

        monkeypatch.setattr(SocketCopy, "run", run)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    running = InProcessServer(tmp_path_factory.mktemp("direct-body"), upload_timeout=IDLE_TIMEOUT * 20)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> CopySpy:
    return CopySpy(monkeypatch)


@pytest.fixture
def client(server: InProcessServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30.0) as http:
        yield http


def pieces(data: bytes, size: int = 1 << 20) -> Iterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset:offset + size]


def assert_stored(client: httpx.Client, repo: str, data: bytes) -> None:
    pulled = client.get(f"/v2/{repo}/blobs/{sha256(data)}")
    assert pulled.status_code == 200
    assert pulled.content == data


class Connection:
    """One raw keep-alive connection that reads responses one after another (Content-Length bodies)."""

    def __init__(self, server: InProcessServer, timeout: float = 30.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
        self.reader = self.sock.makefile("rb")

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.reader.close()
        self.sock.close()

    def send_head(self, method: str, target: str, headers: dict[str, str]) -> bytes:
        lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def response(self) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) of the next response; status 0 when the server closed instead."""
        status_line = self.reader.readline()
        if not status_line:
            return 0, {}, b""
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = self.reader.read(int(headers.get("content-length", "0")))
        return status, headers, body

    def closed_by_server(self) -> bool:
        try:
            return self.reader.read(1) == b""
        except ConnectionResetError:
            return True


def open_session(client: httpx.Client, repo: str) -> str:
    started = client.post(f"/v2/{repo}/blobs/uploads/")
    assert started.status_code == 202
    return started.headers["location"]


# --- the direct path stores every byte, on each upload request ------------------------------------------
def test_single_request_post_goes_direct(client: httpx.Client, spy: CopySpy) -> None:
    repo, data = unique_repo("direct"), os.urandom(BIG)
    response = client.post(f"/v2/{repo}/blobs/uploads/", params={"digest": sha256(data)},
                           content=pieces(data), headers={"Content-Length": str(len(data))})
    assert response.status_code == 201, response.text
    assert len(spy.remaining) == 1 and 0 < spy.remaining[0] <= len(data)
    assert spy.threads[0].startswith("direct-body")
    assert_stored(client, repo, data)


def test_closing_put_and_patch_chunks_go_direct(client: httpx.Client, spy: CopySpy) -> None:
    repo, data = unique_repo("direct"), os.urandom(2 * BIG + 1)
    location = open_session(client, repo)
    first = client.patch(location, content=data[:BIG],
                         headers={"Content-Range": f"0-{BIG - 1}", "Content-Length": str(BIG)})
    assert first.status_code == 202 and first.headers["range"] == f"0-{BIG - 1}"
    second = client.patch(first.headers["location"], content=data[BIG:2 * BIG],
                          headers={"Content-Range": f"{BIG}-{2 * BIG - 1}"})
    assert second.status_code == 202 and second.headers["range"] == f"0-{2 * BIG - 1}"
    closed = client.put(second.headers["location"], params={"digest": sha256(data)}, content=data[2 * BIG:])
    assert closed.status_code == 201, closed.text
    assert len(spy.remaining) == 2  # the 1-byte last chunk stays on the ASGI path
    assert_stored(client, repo, data)

    other = unique_repo("direct")
    monolithic = client.put(open_session(client, other), params={"digest": sha256(data)}, content=data)
    assert monolithic.status_code == 201
    assert len(spy.remaining) == 3
    assert_stored(client, other, data)


def test_sha512_session_is_verified_on_the_direct_path(client: httpx.Client, spy: CopySpy) -> None:
    repo, data = unique_repo("direct"), os.urandom(BIG)
    started = client.post(f"/v2/{repo}/blobs/uploads/", params={"digest-algorithm": "sha512"})
    assert started.status_code == 202
    digest = "sha512:" + hashlib.sha512(data).hexdigest()
    closed = client.put(started.headers["location"], params={"digest": digest}, content=data)
    assert closed.status_code == 201, closed.text
    assert spy.remaining and client.get(f"/v2/{repo}/blobs/{digest}").content == data


def test_wrong_digest_is_refused_and_the_connection_stays_usable(
    server: InProcessServer, client: httpx.Client, spy: CopySpy
) -> None:
    repo, data = unique_repo("direct"), os.urandom(BIG)
    wrong = sha256(data + b"x")
    with Connection(server) as conn:
        head = conn.send_head("POST", f"/v2/{repo}/blobs/uploads/?digest={wrong}",
                              {"Content-Length": str(len(data))})
        conn.sock.sendall(head + data)
        status, _, body = conn.response()
        assert status == 400 and b"DIGEST_INVALID" in body
        conn.sock.sendall(conn.send_head("GET", "/v2/", {}))
        assert conn.response()[0] == 200  # the whole body was consumed: the next request parses cleanly
    assert spy.remaining
    assert client.head(f"/v2/{repo}/blobs/{wrong}").status_code == 404
    assert client.head(f"/v2/{repo}/blobs/{sha256(data)}").status_code == 404
    assert list((server.data_dir / "tmp").iterdir()) == []


# --- framing: what arrives with the headers, 100-continue, pipelining ------------------------------------
@pytest.mark.parametrize("with_headers", [0, 1, 70_000, DIRECT_MIN - 1])
def test_body_bytes_sent_with_the_headers_are_kept_in_order(
    server: InProcessServer, client: httpx.Client, spy: CopySpy, with_headers: int
) -> None:
    repo, data = unique_repo("direct"), os.urandom(BIG + 3 * PIECE + 17)
    with Connection(server) as conn:
        head = conn.send_head("POST", f"/v2/{repo}/blobs/uploads/?digest={sha256(data)}",
                              {"Content-Length": str(len(data))})
        conn.sock.sendall(head + data[:with_headers])
        time.sleep(0.05)  # let the server parse the first segment before the rest arrives
        conn.sock.sendall(data[with_headers:])
        assert conn.response()[0] == 201
    assert len(spy.remaining) == 1 and 0 < spy.remaining[0] <= len(data)
    assert_stored(client, repo, data)


def test_expect_100_continue_is_answered_before_the_body(
    server: InProcessServer, client: httpx.Client, spy: CopySpy
) -> None:
    repo, data = unique_repo("direct"), os.urandom(BIG)
    with Connection(server) as conn:
        conn.sock.sendall(conn.send_head("POST", f"/v2/{repo}/blobs/uploads/?digest={sha256(data)}",
                                         {"Content-Length": str(len(data)), "Expect": "100-continue"}))
        assert conn.response()[0] == 100
        conn.sock.sendall(data)
        assert conn.response()[0] == 201
    assert spy.remaining == [len(data)]
    assert_stored(client, repo, data)


def test_requests_pipelined_behind_a_direct_body_are_answered_in_order(
    server: InProcessServer, client: httpx.Client, spy: CopySpy
) -> None:
    repo, first, second = unique_repo("direct"), os.urandom(BIG), os.urandom(BIG + 1)
    with Connection(server) as conn:
        wire = b"".join([
            conn.send_head("POST", f"/v2/{repo}/blobs/uploads/?digest={sha256(first)}",
                           {"Content-Length": str(len(first))}), first,
            conn.send_head("GET", "/v2/", {}),
            conn.send_head("POST", f"/v2/{repo}/blobs/uploads/?digest={sha256(second)}",
                           {"Content-Length": str(len(second))}), second,
            conn.send_head("HEAD", f"/v2/{repo}/blobs/{sha256(first)}", {}),
        ])
        sender = threading.Thread(target=conn.sock.sendall, args=(wire,))
        sender.start()
        statuses = [conn.response()[0] for _ in range(3)]
        head_status_line = conn.reader.readline()
        sender.join(30)
    assert statuses == [201, 200, 201]
    assert head_status_line.startswith(b"HTTP/1.1 200")
    assert len(spy.remaining) == 2
    assert_stored(client, repo, first)
    assert_stored(client, repo, second)


# --- fallbacks: the ASGI path gives the same result --------------------------------------------------------
def test_chunked_transfer_coding_small_bodies_and_busy_helpers_use_the_asgi_path(
    monkeypatch: pytest.MonkeyPatch, client: httpx.Client, spy: CopySpy
) -> None:
    repo = unique_repo("direct")
    chunked = os.urandom(BIG)
    response = client.post(f"/v2/{repo}/blobs/uploads/", params={"digest": sha256(chunked)},
                           content=pieces(chunked))  # a generator without length: chunked coding
    assert response.status_code == 201
    small = os.urandom(DIRECT_MIN - 1)
    assert client.post(f"/v2/{repo}/blobs/uploads/", params={"digest": sha256(small)},
                       content=small).status_code == 201
    assert spy.remaining == []
    monkeypatch.setattr(direct_body, "_slots", threading.BoundedSemaphore(1))
    assert direct_body._slots.acquire(blocking=False)  # every helper busy
    busy = os.urandom(BIG)
    assert client.post(f"/v2/{repo}/blobs/uploads/", params={"digest": sha256(busy)},
                       content=busy).status_code == 201
    assert spy.remaining == []
    for data in (chunked, small, busy):
        assert_stored(client, repo, data)


def test_a_body_on_the_asgi_path_holds_no_helper_slot(
    monkeypatch: pytest.MonkeyPatch, server: InProcessServer, client: httpx.Client, spy: CopySpy
) -> None:
    monkeypatch.setattr(direct_body, "_slots", threading.BoundedSemaphore(1))
    repo, slow, fast = unique_repo("direct"), os.urandom(DIRECT_MIN - 1), os.urandom(BIG)
    location = open_session(client, repo)
    with Connection(server) as conn:  # a PATCH too small for the direct path, still streaming
        conn.sock.sendall(conn.send_head("PATCH", location, {"Content-Length": str(len(slow))}))
        conn.sock.sendall(slow[:1000])
        time.sleep(0.2)
        pushed = client.post(f"/v2/{repo}/blobs/uploads/", params={"digest": sha256(fast)}, content=fast)
        assert pushed.status_code == 201
        assert len(spy.remaining) == 1  # the one slot was free for it
        conn.sock.sendall(slow[1000:])
        status, headers, _ = conn.response()
        assert status == 202 and headers["range"] == f"0-{len(slow) - 1}"
    assert client.put(location, params={"digest": sha256(slow)}).status_code == 201
    assert_stored(client, repo, slow)
    assert_stored(client, repo, fast)


# --- ending early -----------------------------------------------------------------------------------------
def test_client_gone_mid_body_leaves_nothing_and_the_session_unchanged(
    server: InProcessServer, client: httpx.Client, spy: CopySpy
) -> None:
    repo, data = unique_repo("direct"), os.urandom(2 * BIG)
    location = open_session(client, repo)
    assert client.patch(location, content=data[:BIG]).status_code == 202
    with Connection(server) as conn:
        conn.sock.sendall(conn.send_head("PATCH", location, {"Content-Length": str(BIG),
                                                         "Content-Range": f"{BIG}-{2 * BIG - 1}"}))
        conn.sock.sendall(data[BIG:BIG + DIRECT_MIN + PIECE])
        deadline = time.monotonic() + 10
        while len(spy.remaining) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len(spy.remaining) == 2  # the second PATCH was being copied when the client left
    status = client.get(location)
    deadline = time.monotonic() + 10
    while status.headers.get("range") != f"0-{BIG - 1}" and time.monotonic() < deadline:
        time.sleep(0.05)
        status = client.get(location)
    assert status.status_code == 204 and status.headers["range"] == f"0-{BIG - 1}"
    # Single-request upload cut off: no blob, no temp file left.
    with Connection(server) as conn:
        conn.sock.sendall(conn.send_head("POST", f"/v2/{repo}/blobs/uploads/?digest={sha256(data)}",
                                         {"Content-Length": str(len(data))}) + data[:BIG])
    deadline = time.monotonic() + 10
    while list((server.data_dir / "tmp").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list((server.data_dir / "tmp").iterdir()) == []
    assert client.head(f"/v2/{repo}/blobs/{sha256(data)}").status_code == 404
    closed = client.put(location, params={"digest": sha256(data)}, content=data[BIG:])
    assert closed.status_code == 201
    assert_stored(client, repo, data)


def test_a_failed_write_answers_500_closes_the_connection_and_keeps_no_bytes(
    monkeypatch: pytest.MonkeyPatch, server: InProcessServer, client: httpx.Client, spy: CopySpy
) -> None:
    repo, data = unique_repo("direct"), os.urandom(BIG)
    location = open_session(client, repo)
    real_write = HashingWriter.write

    def failing_write(writer: HashingWriter, piece: bytes | memoryview) -> None:
        if writer.written > DIRECT_MIN:
            raise OSError(28, "No space left on device")
        real_write(writer, piece)

    monkeypatch.setattr(HashingWriter, "write", failing_write)
    with Connection(server) as conn:
        conn.sock.sendall(conn.send_head("PATCH", location, {"Content-Length": str(len(data))}))
        sender = threading.Thread(target=_send_quietly, args=(conn.sock, data))
        sender.start()
        status, headers, _ = conn.response()
        assert status == 500
        assert headers.get("connection") == "close"
        assert conn.closed_by_server()
        sender.join(30)
    assert spy.remaining
    monkeypatch.setattr(HashingWriter, "write", real_write)
    assert client.get(location).headers["range"] == "0-0"  # nothing of the failed chunk was kept


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):  # the server closes the connection after its error answer
        sock.sendall(data)


def test_stalled_client_is_dropped_after_the_idle_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = CopySpy(monkeypatch)
    stalled = InProcessServer(tmp_path / "data", upload_timeout=IDLE_TIMEOUT)
    stalled.start()
    try:
        data = os.urandom(BIG)
        with Connection(stalled) as conn:
            conn.sock.sendall(conn.send_head("POST", f"/v2/stall/blobs/uploads/?digest={sha256(data)}",
                                             {"Content-Length": str(len(data))}) + data[:DIRECT_MIN + 10])
            began = time.monotonic()
            assert conn.closed_by_server()
            waited = time.monotonic() - began
        assert IDLE_TIMEOUT * 0.8 <= waited <= IDLE_TIMEOUT + 5
        assert spy.remaining
        with httpx.Client(base_url=stalled.url, timeout=10) as http:
            assert http.head(f"/v2/stall/blobs/{sha256(data)}").status_code == 404
            assert http.get("/v2/").status_code == 200
    finally:
        stalled.stop()


# --- the copy loop on its own (a socket pair) -------------------------------------------------------------
def test_cancelling_the_request_stops_the_helper_before_it_goes_on(tmp_path: Path) -> None:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    fd = os.open(tmp_path / "blob", os.O_WRONLY | os.O_CREAT)
    writer = HashingWriter(fd, new_hasher("sha256"))
    copy = SocketCopy(ours.fileno(), idle_timeout=60)
    future = direct_body._helpers().submit(copy.run, b"", 10 << 20, writer)

    async def cancel_while_waiting() -> None:
        task = asyncio.ensure_future(direct_body._join(future, copy.stop))
        theirs.sendall(b"x" * 1000)
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert future.done()  # the helper had stopped before the cancellation went on

    try:
        asyncio.run(cancel_while_waiting())
        assert isinstance(future.exception(), direct_body.StoppedError)
        assert writer.written == 1000
    finally:
        os.close(fd)
        ours.close()
        theirs.close()


# --- the CLI's server: auth and several workers ------------------------------------------------------------
def test_large_pushes_with_basic_auth_and_refusals_without() -> None:
    data = os.urandom(BIG)
    with running_auth_server("basic") as server, httpx.Client(base_url=server.url, timeout=60) as http:
        repo = "alice/direct"
        refused = http.post(f"/v2/{repo}/blobs/uploads/", params={"digest": sha256(data)}, content=data)
        assert refused.status_code == 401  # before the body is read: the connection stays usable
        assert http.get("/v2/", auth=server.auth("alice")).status_code == 200
        pushed = http.post(f"/v2/{repo}/blobs/uploads/", params={"digest": sha256(data)}, content=data,
                           auth=server.auth("alice"))
        assert pushed.status_code == 201, pushed.text
        location = http.post(f"/v2/{repo}/blobs/uploads/", auth=server.auth("alice")).headers["location"]
        denied = http.patch(location, content=data, auth=server.auth("bob"))
        assert denied.status_code in (401, 403)
        patched = http.patch(location, content=data, auth=server.auth("alice"))
        assert patched.status_code == 202 and patched.headers["range"] == f"0-{len(data) - 1}"
        pulled = http.get(f"/v2/{repo}/blobs/{sha256(data)}", auth=server.auth("alice"))
        assert pulled.content == data


def test_chunks_over_several_connections_to_two_workers_are_stored_exactly(tmp_path: Path) -> None:
    data = os.urandom(4 * BIG + 5)
    cuts = [0, BIG, 2 * BIG + 7, 3 * BIG, len(data)]
    with start_reference_server(data_dir=tmp_path / "data", extra_args=["--workers", "2"]) as registry:
        clients = [httpx.Client(base_url=registry.url, timeout=60) for _ in range(4)]
        try:
            location = open_session(clients[0], "workers/direct")
            for number, (start, end) in enumerate(itertools.pairwise(cuts)):
                http = clients[number % len(clients)]  # each connection is accepted by either worker
                response = http.patch(location, content=data[start:end],
                                      headers={"Content-Range": f"{start}-{end - 1}"})
                assert response.status_code == 202, response.text
                assert response.headers["range"] == f"0-{end - 1}"
                location = response.headers["location"]
            assert clients[1].put(location, params={"digest": sha256(data)}).status_code == 201
            assert_stored(clients[2], "workers/direct", data)
        finally:
            for http in clients:
                http.close()
