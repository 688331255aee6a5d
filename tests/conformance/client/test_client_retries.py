"""429 (and 503 with Retry-After) are retried as the server asks, recorded, bounded; a bare 5xx never is.

The server is a real one on loopback that answers "later" a given number of times before serving; the
client's waits are taken from it (the `retries.sleep` seam records them instead of sleeping, so the
tests take no time while the waits they check are the ones the client computed).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conformance.client import RegistryClient, Transcript, retries
from conformance.client.errors import RegistryRateLimitError
from conformance.spec.retry_after import retry_after_seconds


class BusyServer:
    """Answers `busy_status` with `headers` to the first `busy` requests, then 200 with the body it got."""

    def __init__(self, busy: int, busy_status: int = 429, headers: dict[str, str] | None = None) -> None:
        self.busy, self.busy_status, self.headers = busy, busy_status, headers or {}
        self.bodies: list[bytes] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.bodies.append(body)
                if len(server.bodies) <= server.busy:
                    self.send_response(server.busy_status)
                    for name, value in server.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = _serve  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    recorded: list[float] = []
    monkeypatch.setattr(retries, "sleep", recorded.append)
    retries.RUN_RETRIES.reset()
    yield recorded
    retries.RUN_RETRIES.reset()


def _serve(busy: int, status: int = 429, headers: dict[str, str] | None = None) -> BusyServer:
    return BusyServer(busy, status, headers)


def test_429_with_retry_after_is_retried_after_that_long_and_recorded(waits: list[float]) -> None:
    server = _serve(2, headers={"Retry-After": "3", "RateLimit-Limit": "100"})
    transcript = Transcript()
    try:
        with RegistryClient(server.url, transcript=transcript) as client:
            response = client.request("PUT", "/v2/x/blobs/uploads/1", content=b"payload")
    finally:
        server.close()
    assert response.status_code == 200 and response.content == b"payload"
    assert server.bodies == [b"payload"] * 3  # the body was sent again with every try
    assert waits == [3.0, 3.0]
    notes = [entry.note for entry in transcript.entries if entry.note]
    assert notes == ["429: retry 1 in 3 s (Retry-After: 3)", "429: retry 2 in 3 s (Retry-After: 3)"]
    tally = retries.RUN_RETRIES.as_json()
    assert tally["by_status"] == {"429": 2} and tally["waited_seconds"] == 6.0
    assert tally["largest_retry_after"] == 3.0 and tally["rate_limit_headers"] == {"ratelimit-limit": "100"}


def test_an_http_date_retry_after_is_honoured(waits: list[float]) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=4), usegmt=True)
    server = _serve(1, headers={"Retry-After": when})
    try:
        with RegistryClient(server.url) as client:
            assert client.request("GET", "/v2/").status_code == 200
    finally:
        server.close()
    assert len(waits) == 1 and 2.0 <= waits[0] <= 4.0


def test_429_without_retry_after_backs_off(waits: list[float]) -> None:
    server = _serve(3)
    try:
        with RegistryClient(server.url) as client:
            assert client.request("GET", "/v2/").status_code == 200
    finally:
        server.close()
    assert waits == [0.5, 1.0, 2.0]


def test_a_bare_503_is_a_broken_registry_and_is_not_retried(waits: list[float]) -> None:
    server = _serve(1, status=503)
    try:
        with RegistryClient(server.url) as client:
            assert client.request("GET", "/v2/").status_code == 503
    finally:
        server.close()
    assert waits == [] and len(server.bodies) == 1


def test_503_with_retry_after_is_retried(waits: list[float]) -> None:
    server = _serve(1, status=503, headers={"Retry-After": "1"})
    try:
        with RegistryClient(server.url) as client:
            assert client.request("GET", "/v2/").status_code == 200
    finally:
        server.close()
    assert waits == [1.0]


def test_past_the_retries_the_client_gives_up_with_an_error_not_a_verdict(waits: list[float]) -> None:
    server = _serve(100, headers={"Retry-After": "1"})
    policy = retries.RetryPolicy(max_retries=2)
    try:
        client = RegistryClient(server.url, retry=policy)
        with client, pytest.raises(RegistryRateLimitError) as caught:
            client.request("GET", "/v2/x/tags/list")
    finally:
        server.close()
    assert waits == [1.0, 1.0] and len(server.bodies) == 3
    assert "kept answering 429" in str(caught.value) and "/v2/x/tags/list" in str(caught.value)
    assert caught.value.response.status_code == 429
    assert retries.RUN_RETRIES.as_json()["exhausted"] == 1


def test_the_run_budget_bounds_all_waits_together(waits: list[float]) -> None:
    server = _serve(100, headers={"Retry-After": "10"})
    policy = retries.RetryPolicy(max_retries=50, budget=25.0)
    try:
        with RegistryClient(server.url, retry=policy) as client, pytest.raises(RegistryRateLimitError):
            client.request("GET", "/v2/")
    finally:
        server.close()
    assert waits == [10.0, 10.0]  # a third wait would pass the 25 s budget
    assert retries.RUN_RETRIES.spent() == 20.0


@pytest.mark.parametrize(
    ("value", "seconds"), [("5", 5.0), ("0", 0.0), ("soon", None), ("-3", None), (None, None)]
)
def test_retry_after_forms(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value) == seconds
