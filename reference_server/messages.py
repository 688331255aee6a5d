"""Request and response objects over raw ASGI: headers, query, a streamed body, and answers to send.

Handlers receive a `Request` and return a `Response` (small, in-memory body) or a `FileResponse`
(a byte range of an open file, streamed in 1 MiB pieces by app.py). They never call ``send`` themselves.
Blob bodies go to the stores as a `BodySource` (`Request.upload_body`): read straight from the socket
when the connection offers it (direct_body.py), else the ASGI stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from reference_server.digests import BodySource, StreamedBody
from reference_server.direct_body import DirectBody
from reference_server.errors import Headers, OciError
from reference_server.http_protocol import hand_over_of
from reference_server.storage.errors import ClientDisconnectedError, ContentTooLargeError

Scope = dict[str, Any]


class Request:
    """One HTTP request: method, decoded path, query parameters, headers and the body stream."""

    __slots__ = (
        "_body_started", "_headers", "_query", "body_idle_timeout", "method", "path", "receive", "scope"
    )

    def __init__(self, scope: Scope, receive: Any, *, body_idle_timeout: float = 3600.0) -> None:
        self.scope = scope
        self.receive = receive
        self.body_idle_timeout = body_idle_timeout
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self._headers: dict[bytes, bytes] | None = None
        self._query: dict[str, list[str]] | None = None
        self._body_started = False

    @property
    def query(self) -> dict[str, list[str]]:
        """Query parameters (repeated keys keep every value, blank values kept)."""
        if self._query is None:
            raw = self.scope.get("query_string", b"").decode("latin-1")
            self._query = parse_qs(raw, keep_blank_values=True) if raw else {}
        return self._query

    def param(self, key: str) -> str | None:
        """First value of query parameter `key`."""
        values = self.query.get(key)
        return values[0] if values else None

    def header(self, name: bytes) -> str | None:
        """Header `name` (lower-case bytes); repeated headers are joined with ', '."""
        if self._headers is None:
            headers: dict[bytes, bytes] = {}
            for key, value in self.scope["headers"]:
                headers[key] = headers[key] + b", " + value if key in headers else value
            self._headers = headers
        value = self._headers.get(name)
        return None if value is None else value.decode("latin-1")

    def content_length(self) -> int | None:
        """Declared Content-Length, or None (chunked transfer encoding or absent)."""
        value = self.header(b"content-length")
        if value is None:
            return None
        try:
            length = int(value)
        except ValueError:
            raise OciError("SIZE_INVALID", "malformed Content-Length", {"content-length": value}) from None
        if length < 0:
            raise OciError("SIZE_INVALID", "negative Content-Length", {"content-length": value})
        return length

    async def body(self) -> AsyncIterator[bytes]:
        """The body as it arrives, piece by piece; raises ClientDisconnectedError if the client goes away."""
        self._body_started = True
        receive = self.receive
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnectedError()
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    def upload_body(self) -> BodySource:
        """The body for a store: from the socket when the connection hands it over, else the ASGI stream.

        A direct body ends the request (client gone) after `body_idle_timeout` seconds without a byte.
        """
        hand_over = hand_over_of(self.scope)
        if hand_over is None:
            return StreamedBody(self.body())
        return DirectBody(hand_over, self.body(), self.body_idle_timeout)

    async def read_limited(self, limit: int) -> bytes:
        """The whole body, at most `limit` bytes: ContentTooLargeError as soon as limit+1 bytes arrived."""
        declared = self.content_length()
        if declared is not None and declared > limit:
            raise ContentTooLargeError(limit)
        pieces: list[bytes] = []
        total = 0
        async for chunk in self.body():
            total += len(chunk)
            if total > limit:
                raise ContentTooLargeError(limit)
            pieces.append(chunk)
        return b"".join(pieces)


@dataclass(slots=True)
class Response:
    """A complete answer with a small body (Content-Length is added by app.py)."""

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""


@dataclass(slots=True)
class FileResponse:
    """An answer whose body is `length` bytes of the open file `fd` from `offset` (app.py closes `fd`)."""

    status: int
    headers: Headers
    fd: int
    offset: int
    length: int


Answer = Response | FileResponse
