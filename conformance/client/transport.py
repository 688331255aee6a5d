"""An httpx transport whose every socket operation respects one overall per-request deadline.

httpx's timeouts are per operation: a read timeout restarts with every chunk, so a registry that
trickles a byte a second, or stalls half-way through a body, can hold a client for ever. Here the
client opens a `deadline(seconds)` scope around each exchange, and `DeadlineBackend` (an httpcore
network backend) clamps the timeout of every connect, read and write to the time left in that
scope, raising httpcore's own timeout exceptions when it is used up. httpx then reports them as
`httpx.TimeoutException`, which the client turns into `RegistryTimeout`.

Three limits, each raising with a message that says which one ended the exchange:

- the request deadline (`deadline(seconds)`): connect + send + response headers + whole body (and the
  wait for the run's rate cap before it, `conformance.client.quota`, which is no stall);
- the check deadline (`check_deadline(seconds)`, opened by the conformance plugin around each check):
  every request of the check ends by then, so a check of many requests is bounded too;
- the minimum body rate (`deadline(..., min_rate=)`): once the response body has begun
  (`body_started()`), fewer than `min_rate * STALL_WINDOW` bytes in any `STALL_WINDOW` seconds (an idle
  or trickling body) counts as stalled, long before the request deadline.

The backend is plugged into httpx through `HTTPTransport._pool` (httpx has no public hook for a
network backend); `tests/conformance/client/test_timeouts.py` proves it against a stalling server.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import ssl
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

WRITE_SLICE = 64 * 1024
STALL_WINDOW = 5.0
"""Seconds over which the body rate is measured; an idle body for this long is stalled too."""


@dataclass
class _Budget:
    """The limits of one exchange: its end (the earlier of request and check deadline) and the body rate."""

    end: float
    reason: str
    min_rate: float = 0.0
    body_since: float | None = None
    arrivals: collections.deque[tuple[float, int]] = field(default_factory=collections.deque)

    def left(self) -> float:
        return self.end - time.monotonic()

    def watching_rate(self) -> bool:
        return self.min_rate > 0 and self.body_since is not None

    def received(self, size: int) -> None:
        """Account `size` body bytes; raise ReadTimeout when the last window fell below the minimum rate."""
        if not self.watching_rate():
            return
        assert self.body_since is not None
        now = time.monotonic()
        self.arrivals.append((now, size))
        while self.arrivals and self.arrivals[0][0] < now - STALL_WINDOW:
            self.arrivals.popleft()
        if now - self.body_since >= STALL_WINDOW:
            got = sum(count for _, count in self.arrivals)
            if got < self.min_rate * STALL_WINDOW:
                raise httpcore.ReadTimeout(
                    f"body stalled: {got} bytes in the last {STALL_WINDOW:g} s, below the minimum rate of "
                    f"{self.min_rate:g} bytes/s (--registry-min-rate)"
                )


_BUDGET: ContextVar[_Budget | None] = ContextVar("registry_client_budget", default=None)
_CHECK_END: ContextVar[tuple[float, float] | None] = ContextVar("registry_client_check_end", default=None)


@contextlib.contextmanager
def check_deadline(seconds: float | None) -> Iterator[None]:
    """Within this scope every request ends at the latest `seconds` after entry (None: no check limit)."""
    token = _CHECK_END.set(None if seconds is None else (time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _CHECK_END.reset(token)


def check_time_left() -> float | None:
    """Seconds left before the check deadline (may be <= 0), or None outside a check deadline."""
    check = _CHECK_END.get()
    return None if check is None else check[0] - time.monotonic()


@contextlib.contextmanager
def deadline(seconds: float, *, min_rate: float = 0.0, since: float | None = None) -> Iterator[None]:
    """Within this scope, network operations fail once `seconds` have passed since entry (or `since`).

    The check's deadline ends the scope earlier when it comes first; with `min_rate` (bytes/s), a response
    body that arrives slower than that fails as stalled (see `body_started`). `since` (a `time.monotonic()`
    value) starts the deadline earlier: the client's wait for `--registry-max-rps` counts against it.
    """
    start = time.monotonic() if since is None else since
    end, reason = start + seconds, f"request deadline of {seconds:g} s exceeded"
    check = _CHECK_END.get()
    if check is not None and check[0] < end:
        end, reason = check[0], f"check deadline of {check[1]:g} s exceeded (--registry-check-deadline)"
    token = _BUDGET.set(_Budget(end, reason, min_rate))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def body_started() -> None:
    """The response head has arrived: from now on the body rate is watched (when a minimum is set)."""
    budget = _BUDGET.get()
    if budget is not None and budget.body_since is None:
        budget.body_since = time.monotonic()


def time_left() -> float | None:
    """Seconds left in the current deadline scope (may be <= 0), or None outside any scope."""
    budget = _BUDGET.get()
    return None if budget is None else budget.left()


def deadline_reason() -> str:
    """Which limit the current scope ends on (for messages)."""
    budget = _BUDGET.get()
    return budget.reason if budget is not None else "no deadline"


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    budget = _BUDGET.get()
    if budget is None:
        return timeout
    left = budget.left()
    if left <= 0:
        raise error(budget.reason)
    if budget.watching_rate():
        left = min(left, STALL_WINDOW)
    return left if timeout is None else min(timeout, left)


def _read(stream: httpcore.NetworkStream, max_bytes: int, timeout: float | None) -> bytes:
    budget = _BUDGET.get()
    limit = _clamp(timeout, httpcore.ReadTimeout)
    try:
        data = stream.read(max_bytes, limit)
    except httpcore.ReadTimeout:
        if budget is not None and budget.watching_rate() and budget.left() > 0:
            raise httpcore.ReadTimeout(
                f"body stalled: no byte for {STALL_WINDOW:g} s (--registry-min-rate {budget.min_rate:g})"
            ) from None
        if budget is not None:
            raise httpcore.ReadTimeout(budget.reason) from None
        raise
    if budget is not None:
        budget.received(len(data))
    return data


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose reads and writes never outlive the current deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _read(self._stream, max_bytes, timeout)

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
