"""The HTTP/1.1 connection protocol: uvicorn's httptools protocol plus a hand-over of large request bodies.

uvicorn delivers a request body as ASGI messages: every socket read becomes a fresh ``bytes`` (uvloop),
then a second one (httptools' body callback), then a copy into the request's ``bytearray`` and one more
out of it (``receive``), and each piece costs an event-loop wake-up and an ASGI message. For a 256 MiB
push that is about as much CPU as hashing the blob. `RegistryHttpProtocol` keeps uvicorn for everything
(parsing, keep-alive, pipelining, responses, 100-continue, errors) and adds one thing: the app may take
the REST of a ``Content-Length`` body straight from the socket (``direct_body.py`` reads it in a helper
thread into a reused buffer). It is offered to the app as the ASGI scope extension `EXTENSION`, a
`BodyHandOver`:

- `BodyHandOver.take` stops uvicorn reading the socket (its flow control), sends ``100 Continue`` if the
  client waits for it, and returns what uvicorn has already parsed of the body plus the socket and the
  number of body bytes still on it. It declines (None) whenever the hand-over cannot be exact: no
  ``Content-Length`` (chunked transfer coding), the body already complete, the connection closing, a TLS
  transport, or another request's cycle current on the connection; the app then reads the ordinary way.
- `BodyHandOver.finish` is called once exactly the announced bytes were read: the connection gets a fresh
  parser (the old one still waits for body bytes it will never see) and the request is marked complete,
  so keep-alive and pipelined requests go on as before (uvicorn resumes reading after the response).
- `BodyHandOver.abandon` is called when the rest was not read (client gone, stalled, disk error): the
  connection is closed after the answer (keep-alive off), at once when the client is gone.

Nothing here reads a body or renders an answer; all of it runs on the event loop thread.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

EXTENSION = "reference_server.body_hand_over"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
UPLOAD_METHODS = frozenset({"POST", "PATCH", "PUT"})


@dataclass(frozen=True)
class TakenBody:
    """What `BodyHandOver.take` hands over: bytes already parsed, the socket, and how many bytes remain."""

    head: bytes
    fd: int
    remaining: int


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The single, plain-digits Content-Length of a request without Transfer-Encoding, else None."""
    found: int | None = None
    for name, value in headers:
        if name == b"transfer-encoding":
            return None
        if name == b"content-length":
            if found is not None or not value.isdigit():
                return None
            found = int(value)
    return found


class BodyHandOver:
    """Lets the app take the rest of one request's body from the socket (see the module docstring)."""

    __slots__ = ("_cycle", "_length", "_protocol", "taken")

    def __init__(self, protocol: RegistryHttpProtocol, cycle: RequestResponseCycle, length: int) -> None:
        self._protocol = protocol
        self._cycle = cycle
        self._length = length
        self.taken = False

    def take(self, at_least: int) -> TakenBody | None:
        """Stop uvicorn reading and hand over the body if at least `at_least` bytes of it are still unread."""
        protocol, cycle = self._protocol, self._cycle
        transport = protocol.transport
        if (
            self.taken
            or protocol.cycle is not cycle
            or not cycle.more_body
            or cycle.disconnected
            or cycle.response_complete
            or transport.is_closing()
            or transport.get_extra_info("sslcontext") is not None
        ):
            return None
        remaining = self._length - protocol.body_parsed
        sock = transport.get_extra_info("socket")
        if remaining < at_least or sock is None:
            return None
        if cycle.waiting_for_100_continue:
            transport.write(CONTINUE)
            cycle.waiting_for_100_continue = False
        protocol.flow.pause_reading()
        head = bytes(cycle.body)
        cycle.body = bytearray()
        self.taken = True
        return TakenBody(head, sock.fileno(), remaining)

    def finish(self) -> None:
        """The rest of the body was read from the socket: fresh parser, request complete."""
        protocol = self._protocol
        protocol.parser = protocol.new_parser()
        protocol.body_parsed = self._length
        self._cycle.more_body = False

    def abandon(self, *, client_gone: bool) -> None:
        """The body was not read to its end: close the connection (now when the client is gone)."""
        cycle = self._cycle
        cycle.keep_alive = False
        if client_gone:
            cycle.disconnected = True
            self._protocol.transport.close()


class RegistryHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; each POST, PATCH or PUT with a Content-Length gets a `BodyHandOver`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.body_parsed = 0

    def new_parser(self) -> httptools.HttpRequestParser:
        """A parser set up like uvicorn's (lenient about data after a close, to answer pipelined requests)."""
        parser = httptools.HttpRequestParser(self)
        with contextlib.suppress(AttributeError):  # httptools < 0.6.3 has no leniencies
            parser.set_dangerous_leniencies(lenient_data_after_close=True)
        return parser

    def on_headers_complete(self) -> None:
        previous = self.cycle
        super().on_headers_complete()
        self.body_parsed = 0
        cycle = self.cycle
        if cycle is previous or cycle is None or self.scope["method"] not in UPLOAD_METHODS:
            return  # no request cycle (an upgrade), or a method that never carries a blob
        length = _declared_length(self.headers)
        if length:
            extensions: dict[str, object] = self.scope.setdefault("extensions", {})  # type: ignore[assignment]
            extensions[EXTENSION] = BodyHandOver(self, cycle, length)

    def on_body(self, body: bytes) -> None:
        self.body_parsed += len(body)
        super().on_body(body)


def hand_over_of(scope: dict[str, Any]) -> BodyHandOver | None:
    """The scope's `BodyHandOver`, when the server offers one for this request."""
    extensions = scope.get("extensions")
    found = extensions.get(EXTENSION) if extensions else None
    return found if isinstance(found, BodyHandOver) else None
