"""HTTP/1.1 over a raw socket, for requests that httpx would refuse or normalise.

httpx rewrites `..` and `%2e%2e` path segments, always sends a correct `Content-Length` and rejects
invalid header bytes. Hostile-input tests need the exact bytes on the wire, so this module sends a
request as given and parses whatever answer comes back (status, headers, body by length, chunked or
until close). Every socket operation has a timeout.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from tests.support.registry_http import Answer, error_codes

DEFAULT_TIMEOUT = 15.0


@dataclass
class RawResponse:
    """A parsed HTTP response (or `status` 0 when the server closed without answering)."""

    status: int
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The value of header `name` (case-insensitive), or None."""
        return self.headers.get(name.lower())

    def answer(self, method: str, target: str | bytes) -> Answer:
        """This response as an `Answer` to `method target`."""
        shown = target if isinstance(target, str) else target.decode("latin-1")
        return Answer(method, shown, self.status, self.body)

    def error_codes(self) -> list[str]:
        """The `code`s of an OCI error envelope in the body; empty if the body is not one."""
        return error_codes(self.body)


def build_request(
    method: str,
    target: bytes | str,
    host: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    *,
    content_length: int | None = None,
) -> bytes:
    """Raw request bytes; `content_length` overrides the declared length (may differ from `body`)."""
    target_bytes = target if isinstance(target, bytes) else target.encode("latin-1")
    lines = [method.encode() + b" " + target_bytes + b" HTTP/1.1", b"Host: " + host.encode()]
    declared = len(body) if content_length is None else content_length
    all_headers = list(headers or [])
    framed = any(name.lower() in ("content-length", "transfer-encoding") for name, _ in all_headers)
    if not framed and (body or method in ("POST", "PUT", "PATCH") or content_length is not None):
        all_headers.append(("Content-Length", str(declared)))
    all_headers.append(("Connection", "close"))
    lines.extend(f"{name}: {value}".encode("latin-1") for name, value in all_headers)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def exchange(
    address: tuple[str, int], request: bytes, *, timeout: float = DEFAULT_TIMEOUT, half_close: bool = False
) -> RawResponse:
    """Send `request` bytes, optionally shut down our sending side, and read one response."""
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendall(request)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may refuse and close early; read what it answered
        return read_response(sock, head_request=request.startswith(b"HEAD "))


def read_response(sock: socket.socket, *, head_request: bool = False) -> RawResponse:
    """Read one HTTP/1.1 response from `sock`; status 0 if the server closed without a status line."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = _recv(sock)
        if not chunk:
            return RawResponse(status=0, body=buffer)
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    response = RawResponse(status=int(parts[1]), reason=parts[2] if len(parts) > 2 else "")
    for line in header_lines:
        name, _, value = line.partition(":")
        response.headers[name.strip().lower()] = value.strip()
    if head_request or response.status in (204, 304) or 100 <= response.status < 200:
        return response
    if response.header("transfer-encoding") == "chunked":
        response.body = _read_chunked(sock, rest)
    elif response.header("content-length") is not None:
        response.body = _read_exact(sock, rest, int(response.headers["content-length"]))
    else:
        response.body = rest + _read_to_close(sock)
    return response


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""


def _read_exact(sock: socket.socket, data: bytes, length: int) -> bytes:
    while len(data) < length:
        chunk = _recv(sock)
        if not chunk:
            break
        data += chunk
    return data[:length]


def _read_to_close(sock: socket.socket) -> bytes:
    parts = []
    while chunk := _recv(sock):
        parts.append(chunk)
    return b"".join(parts)


def _read_chunked(sock: socket.socket, data: bytes) -> bytes:
    body = b""
    while True:
        while b"\r\n" not in data:
            chunk = _recv(sock)
            if not chunk:
                return body
            data += chunk
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return body
        data = _read_exact(sock, data, size + 2) if len(data) < size + 2 else data
        body += data[:size]
        data = data[size + 2:]
