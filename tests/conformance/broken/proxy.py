"""A fault-injecting reverse proxy for proving the conformance suite's verdicts.

`FaultProxy(upstream_url, faults=[...]).start()` listens on 127.0.0.1 (a threaded `http.server`) and
forwards every request to the upstream registry (the bundled reference server), one upstream connection
per request, bodies read whole (the suite's blobs are small). Each `Fault` (see `faults.py`) may:

- change or answer a request before it goes upstream (`on_request`: set `exchange.status` to answer it
  without the upstream),
- change the upstream's answer (`on_response`: status, headers, body), or ask the proxy to stall: send
  the headers and `exchange.stall_after` bytes of the body, then hang until the proxy stops; or to
  trickle: send the body `exchange.trickle = (bytes, seconds)` at a time, never idle long enough for a
  read timeout.

The proxy is transparent otherwise: it keeps the client's `Host` (so the upstream's absolute Locations,
if any, point back through the proxy), drops hop-by-hop headers and recomputes `Content-Length`.
`proxy.url` is what the suite gets as `--registry-url`; `proxy.stop()` releases stalled handlers.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
STALL_LIMIT = 60.0
"""A stalled handler hangs at most this long (or until `stop()`)."""


@dataclass
class Exchange:
    """One request through the proxy and (once known) its answer; faults edit it in place."""

    method: str
    target: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stall_after: int | None = None
    trickle: tuple[int, float] | None = None
    proxy_url: str = ""

    @property
    def path(self) -> str:
        """The request path without the query."""
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        """The raw query string ('' when none)."""
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    def request_header(self, name: str) -> str | None:
        """First value of request header `name` (case-insensitive), or None."""
        return _first(self.request_headers, name)

    def header(self, name: str) -> str | None:
        """First value of response header `name` (case-insensitive), or None."""
        return _first(self.headers, name)

    def set_header(self, name: str, value: str | None) -> None:
        """Replace (or with None remove) response header `name`."""
        self.headers = [(key, val) for key, val in self.headers if key.lower() != name.lower()]
        if value is not None:
            self.headers.append((name, value))

    def set_request_header(self, name: str, value: str | None) -> None:
        """Replace (or with None remove) request header `name`."""
        self.request_headers = [(k, v) for k, v in self.request_headers if k.lower() != name.lower()]
        if value is not None:
            self.request_headers.append((name, value))

    def answer(self, status: int, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()) -> None:
        """Answer the request here, without the upstream."""
        self.status, self.body, self.headers = status, body, list(headers)


def _first(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name.lower():
            return value
    return None


class Fault:
    """Base class: a named change of the registry's behaviour (override one or both hooks)."""

    name = "clean"

    def on_request(self, exchange: Exchange) -> None:
        """Change the request, or answer it (`exchange.answer(...)`) before it reaches the upstream."""

    def on_response(self, exchange: Exchange) -> None:
        """Change the answer (status, headers, body, `stall_after`)."""


class FaultProxy:
    """The proxy server; `start()` it, give the suite `url`, `stop()` it."""

    def __init__(self, upstream: str, faults: Sequence[Fault] = (), host: str = "127.0.0.1") -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.faults = list(faults)
        self.stopping = threading.Event()
        self.requests: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self.url = f"http://{host}:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release stalled handlers and shut the listener down."""
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def forward(self, exchange: Exchange) -> None:
        """Send `exchange`'s request to the upstream and fill in its answer."""
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
        try:
            headers = {key: value for key, value in exchange.request_headers if key.lower() not in HOP_BY_HOP}
            if exchange.request_body or exchange.method in ("POST", "PUT", "PATCH"):
                headers["Content-Length"] = str(len(exchange.request_body))
            # the upstream may answer before reading the whole body (e.g. 413): then read that answer
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.request(
                    exchange.method, exchange.target, body=exchange.request_body or None, headers=headers
                )
            answer = connection.getresponse()
            exchange.status = answer.status
            exchange.headers = [
                (k, v)
                for k, v in answer.getheaders()
                if k.lower() not in HOP_BY_HOP
                or (exchange.method == "HEAD" and k.lower() == "content-length")
            ]
            exchange.body = answer.read()
        finally:
            connection.close()

    def handle(self, exchange: Exchange) -> None:
        """Run the faults around the upstream exchange."""
        for fault in self.faults:
            fault.on_request(exchange)
            if exchange.status:
                break
        if not exchange.status:
            self.forward(exchange)
        for fault in self.faults:
            fault.on_response(exchange)
        with self._lock:
            self.requests.append((exchange.method, exchange.target, exchange.status))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = (
                True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
            )

            def log_message(self, format: str, *args: object) -> None:
                """Silence the per-request log."""

            def _read_body(self) -> bytes:
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    parts: list[bytes] = []
                    while True:
                        size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(parts)
                        parts.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _serve(self) -> None:
                exchange = Exchange(
                    self.command,
                    self.path,
                    list(self.headers.items()),
                    self._read_body(),
                    proxy_url=proxy.url,
                )
                try:
                    proxy.handle(exchange)
                except (OSError, http.client.HTTPException) as exc:
                    exchange.answer(
                        502, f"proxy: upstream failed: {exc}".encode(), [("Content-Type", "text/plain")]
                    )
                self.send_response_only(exchange.status)
                for key, value in exchange.headers:
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                if self.command == "HEAD":
                    length = exchange.header("content-length")
                    self.send_header("Content-Length", length if length is not None else "0")
                else:
                    self.send_header("Content-Length", str(len(exchange.body)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                if exchange.stall_after is not None:
                    self.wfile.write(exchange.body[: exchange.stall_after])
                    self.wfile.flush()
                    proxy.stopping.wait(STALL_LIMIT)
                    self.close_connection = True
                    return
                if exchange.trickle is not None:
                    self._trickle(exchange.body, *exchange.trickle)
                    return
                self.wfile.write(exchange.body)

            def _trickle(self, body: bytes, piece: int, pause: float) -> None:
                deadline = time.monotonic() + STALL_LIMIT
                self.close_connection = True
                for start in range(0, len(body), piece):
                    if proxy.stopping.is_set() or time.monotonic() > deadline:
                        return
                    try:
                        self.wfile.write(body[start : start + piece])
                        self.wfile.flush()
                    except OSError:  # the client gave up on the trickle: what the test wants
                        return
                    proxy.stopping.wait(pause)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve  # noqa: N815

        return Handler
