"""A recording TCP relay on loopback: shows the exact request heads a real client sends to a registry.

Clients such as buildah do not log their request headers. A test points the client at the relay's
port; the relay forwards every byte to the registry and back, and keeps what the client sent, so the
test can assert e.g. that blob PATCHes really used `Transfer-Encoding: chunked`. Bounded: at most
`limit` bytes per connection are kept; relaying never stops.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

REQUEST_HEAD = re.compile(rb"(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP/1\.1\r\n(.*?)\r\n\r\n", re.S)


@dataclass(frozen=True)
class RequestHead:
    """Method, target and headers (lower-case names) of one recorded request."""

    method: str
    target: str
    headers: dict[str, str]


@dataclass
class TcpRecorder:
    """Relay from `port` on 127.0.0.1 to `upstream`, recording client-to-server bytes."""

    upstream: tuple[str, int]
    limit: int = 64 << 20
    port: int = 0
    _captured: list[bytearray] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listener: socket.socket | None = None

    def requests(self) -> list[RequestHead]:
        """Every request head found in the recorded client bytes, per connection in order."""
        heads: list[RequestHead] = []
        with self._lock:
            streams = [bytes(stream) for stream in self._captured]
        for stream in streams:
            for match in REQUEST_HEAD.finditer(stream):
                headers: dict[str, str] = {}
                for line in match.group(3).decode("latin-1").split("\r\n"):
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                heads.append(RequestHead(match.group(1).decode(), match.group(2).decode("latin-1"), headers))
        return heads

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            captured = bytearray()
            with self._lock:
                self._captured.append(captured)
            threading.Thread(target=self._serve, args=(client, captured), daemon=True).start()

    def _serve(self, client: socket.socket, captured: bytearray) -> None:
        try:
            server = socket.create_connection(self.upstream, timeout=60)
        except OSError:
            client.close()
            return
        backwards = threading.Thread(target=_pump, args=(server, client, None, 0, self._lock), daemon=True)
        backwards.start()
        _pump(client, server, captured, self.limit, self._lock)
        backwards.join(60)
        for sock in (client, server):
            sock.close()


def _pump(source: socket.socket, sink: socket.socket, captured: bytearray | None, limit: int,
          lock: threading.Lock) -> None:
    try:
        while chunk := source.recv(1 << 16):
            if captured is not None and len(captured) < limit:
                with lock:
                    captured.extend(chunk[: limit - len(captured)])
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def recording_relay(upstream: tuple[str, int]) -> Iterator[TcpRecorder]:
    """Start a recorder in front of `upstream`; its `.port` is where clients should connect."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    recorder = TcpRecorder(upstream, port=listener.getsockname()[1], _listener=listener)
    thread = threading.Thread(target=recorder._accept_loop, args=(listener,), daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        listener.close()
