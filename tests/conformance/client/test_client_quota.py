"""The run's rate cap and request budget (`conformance.client.quota`) against real servers on loopback.

The cap is measured as a lower bound on elapsed time (40 requests at 20 per second cannot take less than
39 intervals of 50 ms: a behaviour, not a speed target); without the cap nothing waits (counted, not timed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conformance.client import RegistryClient, RequestLimitError, Transcript
from conformance.client.quota import REQUESTS_OPTION, RPS_OPTION, RUN_REQUESTS, requests_note, worker_share
from conformance.registries import RegistryProcess, start_reference_server


@pytest.fixture(scope="module")
def registry() -> Iterator[RegistryProcess]:
    process = start_reference_server()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def fresh_gate() -> Iterator[None]:
    RUN_REQUESTS.limit(None, None)
    yield
    RUN_REQUESTS.limit(None, None)


def test_the_rate_cap_spaces_requests_of_every_client_of_the_process(registry: RegistryProcess) -> None:
    RUN_REQUESTS.limit(20.0, None)
    transcript = Transcript()
    started = time.monotonic()
    with RegistryClient(registry.url, transcript=transcript) as first, \
            RegistryClient(registry.url, transcript=transcript) as second:
        for number in range(40):
            assert (first if number % 2 else second).ping().status_code == 200
    elapsed = time.monotonic() - started
    assert elapsed >= 39 / 20 - 0.01, f"40 requests at --registry-max-rps 20 took only {elapsed:.3f} s"
    tally = RUN_REQUESTS.as_json()
    assert tally["sent"] == 40 and tally["waited"] >= 38 and tally["waited_seconds"] >= 1.8
    assert tally["refused"] == 0
    assert any("rate cap" in (entry.note or "") for entry in transcript.entries)
    note = requests_note(tally)
    assert note is not None and RPS_OPTION in note and "waited for the rate cap" in note


def test_without_a_cap_nothing_waits(registry: RegistryProcess) -> None:
    transcript = Transcript()
    with RegistryClient(registry.url, transcript=transcript) as client:
        for _ in range(40):
            assert client.ping().status_code == 200
    tally = RUN_REQUESTS.as_json()
    assert tally["sent"] == 40 and tally["waited"] == 0 and tally["waited_seconds"] == 0.0
    assert not any("rate cap" in (entry.note or "") for entry in transcript.entries)
    assert requests_note(tally) is None


def test_the_budget_lets_exactly_n_requests_go_then_refuses_unsent(registry: RegistryProcess) -> None:
    RUN_REQUESTS.limit(None, 5)
    transcript = Transcript()
    with RegistryClient(registry.url, transcript=transcript) as client:
        for _ in range(5):
            assert client.ping().status_code == 200
        with pytest.raises(RequestLimitError) as caught:
            client.ping()
        with pytest.raises(RequestLimitError):
            client.request_raw("GET", "/v2/")
    assert caught.value.option == REQUESTS_OPTION and REQUESTS_OPTION in str(caught.value)
    assert len(transcript.entries) == 5  # the refused requests were never sent
    assert RUN_REQUESTS.as_json() | {"max_rps": None} == {
        "sent": 5, "max_rps": None, "max_requests": 5, "waited": 0, "waited_seconds": 0.0, "refused": 2}


def test_a_cap_wait_beyond_the_request_deadline_is_a_harness_error(registry: RegistryProcess) -> None:
    RUN_REQUESTS.limit(0.5, None)  # one request every 2 s
    transcript = Transcript()
    with RegistryClient(registry.url, transcript=transcript, timeout=1.0) as client:
        assert client.ping().status_code == 200
        with pytest.raises(RequestLimitError) as caught:
            client.ping()
    assert caught.value.option == RPS_OPTION and "deadline" in str(caught.value)
    assert len(transcript.entries) == 1


class RedirectingRegistry:
    """A registry origin answering every GET with 307 to a second (storage) origin, which serves 200."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        seen = self.seen

        def handler(answer: str) -> type[BaseHTTPRequestHandler]:
            class Handler(BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"

                def log_message(self, format: str, *args: object) -> None:
                    """Quiet."""

                def do_GET(self) -> None:
                    seen.append(f"{answer} {self.path}")
                    if answer == "registry":
                        self.send_response(307)
                        self.send_header("Location", f"{storage_url}/blob{self.path}")
                    else:
                        self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            return Handler

        self.storage = ThreadingHTTPServer(("127.0.0.1", 0), handler("storage"))
        storage_url = f"http://127.0.0.1:{self.storage.server_address[1]}"
        self.registry = ThreadingHTTPServer(("127.0.0.1", 0), handler("registry"))
        self.url = f"http://127.0.0.1:{self.registry.server_address[1]}"
        for server in (self.storage, self.registry):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self) -> None:
        for server in (self.storage, self.registry):
            server.shutdown()
            server.server_close()


def test_a_redirect_hop_to_another_origin_counts_against_the_budget() -> None:
    rig = RedirectingRegistry()
    try:
        RUN_REQUESTS.limit(None, 3)
        with RegistryClient(rig.url) as client:
            assert client.blob_get("ns/repo", "sha256:" + "0" * 64).status_code == 200  # 2 requests
            with pytest.raises(RequestLimitError):
                client.blob_get("ns/repo", "sha256:" + "1" * 64)  # the registry hop goes, storage's not
    finally:
        rig.close()
    assert [line.split(" ", 1)[0] for line in rig.seen] == ["registry", "storage", "registry"]
    assert RUN_REQUESTS.as_json()["sent"] == 3


def test_each_worker_gets_its_share_and_the_shares_add_up() -> None:
    assert worker_share(None, {}) is None
    assert worker_share(30.0, {}) == 30.0
    assert worker_share(30.0, {"PYTEST_XDIST_WORKER_COUNT": "3", "PYTEST_XDIST_WORKER": "gw1"}) == 10.0
    shares = [worker_share(10, {"PYTEST_XDIST_WORKER_COUNT": "3", "PYTEST_XDIST_WORKER": f"gw{index}"},
                           whole=True) for index in range(3)]
    assert shares == [4.0, 3.0, 3.0] and sum(share or 0.0 for share in shares) == 10
