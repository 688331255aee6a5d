"""A TCP pass-through on 127.0.0.1 that counts the connections clients open and how many were open at once.

Put in front of a real registry, it shows from outside how many requests a client had in flight: a
keep-alive client (requests' pool) opens another connection only while all its open ones are busy.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TIMEOUT = 30.0


@dataclass
class ConnectionCounts:
    """Connections accepted so far, open now, and open at most at the same time."""

    accepted: int = 0
    open: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def opened(self) -> None:
        with self.lock:
            self.accepted += 1
            self.open += 1
            self.peak = max(self.peak, self.open)

    def closed(self) -> None:
        with self.lock:
            self.open -= 1


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(1 << 16):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (sink, source):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def _serve(client: socket.socket, upstream: tuple[str, int], counts: ConnectionCounts) -> None:
    counts.opened()
    try:
        with client, socket.create_connection(upstream, timeout=TIMEOUT) as server:
            client.settimeout(TIMEOUT)
            back = threading.Thread(target=_pump, args=(server, client), daemon=True)
            back.start()
            _pump(client, server)
            back.join(TIMEOUT)
    except OSError:
        pass
    finally:
        counts.closed()


@contextmanager
def counting_proxy(url: str) -> Iterator[tuple[str, ConnectionCounts]]:
    """A proxy for the registry at `url`: (its URL, live counts); closed on exit."""
    parts = urlsplit(url)
    upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
    counts = ConnectionCounts()
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=_serve, args=(client, upstream, counts), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", counts
    finally:
        stop.set()
        listener.close()
        thread.join(5)
