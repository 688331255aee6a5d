"""An httpx transport whose every socket operation respects one overall per-request deadline.

httpx's timeouts are per operation: a read timeout restarts with every chunk, so a registry that
trickles a byte a second, or stalls half-way through a body, can hold a client for ever. Here the
client opens a `deadline(seconds)` scope around each exchange, and `DeadlineBackend` (an httpcore
network backend) clamps the timeout of every connect, read and write to the time left in that
scope, raising httpcore's own timeout exceptions when it is used up. httpx then reports them as
`httpx.TimeoutException`, which the client turns into `RegistryTimeout`.

The backend is plugged into httpx through `HTTPTransport._pool` (httpx has no public hook for a
network backend); `tests/conformance/client/test_timeouts.py` proves it against a stalling server.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

WRITE_SLICE = 64 * 1024
_DEADLINE: ContextVar[float | None] = ContextVar("registry_client_deadline", default=None)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Within this scope, network operations fail once `seconds` have passed since entry."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def time_left() -> float | None:
    """Seconds left in the current deadline scope (may be <= 0), or None outside any scope."""
    end = _DEADLINE.get()
    return None if end is None else end - time.monotonic()


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    left = time_left()
    if left is None:
        return timeout
    if left <= 0:
        raise error("request deadline exceeded")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose reads and writes never outlive the current deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        view = memoryview(buffer)
        for start in range(0, len(view), WRITE_SLICE):
            self._stream.write(
                bytes(view[start : start + WRITE_SLICE]), _clamp(timeout, httpcore.WriteTimeout)
            )

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        upgraded = self._stream.start_tls(
            ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout)
        )
        return DeadlineStream(upgraded)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync backend with every operation clamped to the current deadline."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(
            host, port, _clamp(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_unix_socket(
            path, _clamp(timeout, httpcore.ConnectTimeout), socket_options
        )
        return DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


@functools.lru_cache(maxsize=8)
def ssl_context_for(verify: bool | str) -> ssl.SSLContext:
    """TLS context: system CAs (True), no verification (False), or a CA bundle file (str).

    Cached: loading the system CA store costs about 85 ms, and every check builds a client. A context
    is safe to share between connections and threads once configured.
    """
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return ssl.create_default_context()


def deadline_transport(
    verify: bool | str | ssl.SSLContext = True, max_connections: int = 20
) -> httpx.HTTPTransport:
    """An `httpx.HTTPTransport` (HTTP/1.1, connection pooling) using `DeadlineBackend`."""
    context = verify if isinstance(verify, ssl.SSLContext) else ssl_context_for(verify)
    transport = httpx.HTTPTransport(verify=context)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=context,
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=5.0,
        network_backend=DeadlineBackend(),
    )
    return transport
