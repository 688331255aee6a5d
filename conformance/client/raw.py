"""Byte-exact requests for negative tests: what httpx refuses to send, sent over a plain socket.

httpx (through h11) never sends a body that disagrees with its `Content-Length`, yet checks of
`SIZE_INVALID` and of malformed requests need exactly that. `send_raw()` writes the request line,
the caller's headers (verbatim, in order, duplicates allowed) and the body bytes as given, then
parses the answer with h11 (Content-Length, chunked or close-delimited bodies). The same rules as
the rest of the client apply: one overall deadline (`RegistryTimeout`), transport failures as
`RegistryConnectionError`, and a redacted `TranscriptEntry`. A connection is used once and closed.
If the registry answers and closes while the body is still being sent, the answer is still read.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

import h11
import httpx

from conformance.client.errors import RegistryConnectionError, RegistryTimeout
from conformance.client.response import Response
from conformance.client.transcript import Transcript, TranscriptEntry, preview_body

READ_SIZE = 65536


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("request deadline exceeded")
        return remaining


def send_raw(
    url: str,
    method: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    *,
    timeout: float,
    transcript: Transcript,
    ssl_context: ssl.SSLContext | None = None,
    user_agent: str | None = None,
) -> Response:
    """Send `method url` with exactly `headers` and `body`, and read the answer.

    `Host`, `User-Agent` and `Connection: close` are added only when the caller did not give them.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    given = {name.lower() for name, _ in headers}
    all_headers = list(headers)
    if "host" not in given:
        all_headers.insert(0, ("Host", parts.netloc))
    if user_agent and "user-agent" not in given:
        all_headers.append(("User-Agent", user_agent))
    if "connection" not in given:
        all_headers.append(("Connection", "close"))
    request_head = (
        f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in all_headers) + "\r\n"
    )
    entry = transcript.add(TranscriptEntry.start(method, url, all_headers, preview_body(body)))
    entry.note = "raw request (bytes sent exactly as given)"
    started = time.monotonic()
    deadline = _Deadline(timeout)
    received = bytearray()
    head: list[tuple[str, str]] = []
    try:
        with _connect(host, port, parts.scheme == "https", ssl_context, deadline) as sock:
            _send_all(sock, request_head.encode("latin-1") + body, deadline)
            status, response_headers = _read_response(
                sock, method, deadline, body=received, entry=entry, head=head
            )
    except TimeoutError as exc:
        entry.elapsed = time.monotonic() - started
        phase = "while reading the body" if entry.status is not None else "before the response headers"
        entry.error = (
            f"timeout: no complete answer within {timeout:g} s ({phase}, {len(received)} body bytes)"
        )
        raise RegistryTimeout(
            f"{method} {entry.url}: {entry.error}", entry, _partial(url, method, entry, head, received)
        ) from exc
    except (OSError, h11.ProtocolError) as exc:
        entry.elapsed = time.monotonic() - started
        entry.error = f"{type(exc).__name__}: {exc}"
        partial = _partial(url, method, entry, head, received)
        raise RegistryConnectionError(f"{method} {entry.url}: {entry.error}", entry, partial) from exc
    entry.elapsed = time.monotonic() - started
    return _response(url, method, entry, status=status, headers=response_headers, body=received)


def _response(
    url: str,
    method: str,
    entry: TranscriptEntry,
    *,
    status: int,
    headers: list[tuple[str, str]],
    body: bytearray,
) -> Response:
    content = bytes(body)
    entry.response_body = preview_body(content)
    return Response(
        method=method,
        url=url,
        status_code=status,
        headers=httpx.Headers(headers),
        content=content,
        elapsed=entry.elapsed,
        entry=entry,
        body_size=len(content),
    )


def _partial(
    url: str, method: str, entry: TranscriptEntry, head: list[tuple[str, str]], body: bytearray
) -> Response | None:
    """What arrived before a failure: None unless the status line and headers did."""
    if entry.status is None:
        return None
    return _response(url, method, entry, status=entry.status, headers=head, body=body)


def _connect(
    host: str, port: int, tls: bool, context: ssl.SSLContext | None, deadline: _Deadline
) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=deadline.left())
    if not tls:
        return sock
    sock.settimeout(deadline.left())
    return (context or ssl.create_default_context()).wrap_socket(sock, server_hostname=host)


def _send_all(sock: socket.socket, data: bytes, deadline: _Deadline) -> None:
    view = memoryview(data)
    try:
        while view:
            sock.settimeout(deadline.left())
            sent = sock.send(view[:READ_SIZE])
            view = view[sent:]
    except (BrokenPipeError, ConnectionResetError):
        return  # the registry may have answered early and closed: read what it said


def _read_response(
    sock: socket.socket,
    method: str,
    deadline: _Deadline,
    *,
    body: bytearray,
    entry: TranscriptEntry,
    head: list[tuple[str, str]],
) -> tuple[int, list[tuple[str, str]]]:
    connection = h11.Connection(h11.CLIENT)
    # tell h11 what was sent (the bytes themselves went out unchecked) so it frames the answer
    connection.send(h11.Request(method=method, target="/", headers=[("Host", "x"), ("Content-Length", "0")]))
    connection.send(h11.EndOfMessage())
    status = 0
    headers: list[tuple[str, str]] = []
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            sock.settimeout(deadline.left())
            try:
                data = sock.recv(READ_SIZE)
            except ConnectionResetError:
                data = b""
            connection.receive_data(data)
            continue
        if isinstance(event, h11.Response):
            status = event.status_code
            headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in event.headers]
            head[:] = headers
            entry.record_response(status, headers)
        elif isinstance(event, h11.InformationalResponse):
            continue
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            return status, headers
