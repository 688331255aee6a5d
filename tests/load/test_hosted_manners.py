"""Load users against hosted-registry manners (issue 13): rate limits and blob redirects to object storage.

Real pieces on loopback: the bundled reference server behind the conformance fault proxy
(`tests/conformance/broken/proxy.py`), the real Locust as a subprocess (`locust_runs.py`).

- Rate limits: every 20th request answered 429 with `Retry-After: 1` (the conformance rig's
  `RateLimitEveryNth`) and every 40th of the others 503 with an HTTP-date `Retry-After`: the run has no
  failure, passes its thresholds, and reports the 429s and 503s apart, per request, with the limits the
  registry announced. Control: a bare 500 and a bare 503 are failures, and nothing is "rate-limited".
- Redirects: blob GETs answer 307 to a second origin (`StorageServer`, 127.0.0.2), with Bearer-token auth
  on the registry (`AnonymousBearerAuth`): storage served the blobs, never saw an Authorization header,
  the bytes down are the storage bodies' bytes, every pull's sha256 checked, no failure. And blob HEADs
  of the FastHttpUser scenario answer 308 to the same origin: followed, with the Authorization kept.

Figures the proxy counts are compared with the summary exactly, up to the requests in flight when Locust
stopped its users (at most one per user).
"""

from __future__ import annotations

import csv
import itertools
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from conformance.registries import RegistryProcess, start_reference_server
from load.thresholds import check, parse
from tests.conformance.broken.faults import BLOB as BLOB_PATH
from tests.conformance.broken.faults import AnonymousBearerAuth, RedirectBlobGets, StorageServer
from tests.conformance.broken.hosted_faults import RateLimitEveryNth
from tests.conformance.broken.proxy import Exchange, Fault, FaultProxy
from tests.load.locust_runs import LocustRun, assert_stored, run_locust

USERS = 2
LIMITED_USERS = 4
BLOB = 256 * 1024
CONTENT = ("--blob-sizes", "256KiB:1", "--verify-share", "1", "--range-size", "100KiB")
ARGS = ("-u", str(USERS), "-r", str(USERS), "-t", "6s", *CONTENT)
BLOB_ROW = "/v2/[repo]/blobs/[digest]"
REDIRECTED = " (redirected)"


class EveryNth(Fault):
    """Answer every `every`-th request that reaches this fault with `status`, `headers()` and an OCI error."""

    def __init__(self, every: int, status: int, code: str, headers: Any = lambda: []) -> None:
        self.every, self.status, self.code, self.headers = every, status, code, headers
        self.counter = itertools.count(1)
        self.lock = threading.Lock()
        self.answered = 0
        self.name = f"{status}-every-{every}"

    def on_request(self, exchange: Exchange) -> None:
        with self.lock:
            hit = next(self.counter) % self.every == 0
            self.answered += int(hit)
        if hit:
            body = f'{{"errors":[{{"code":"{self.code}","message":"injected"}}]}}'.encode()
            exchange.answer(self.status, body, [("Content-Type", "application/json"), *self.headers()])


def busy_until_in_two_seconds() -> list[tuple[str, str]]:
    """A Retry-After HTTP-date (whole seconds): 1 to 2 s from now."""
    return [("Retry-After", formatdate(time.time() + 2, usegmt=True))]


@pytest.fixture(scope="module")
def upstream() -> Iterator[RegistryProcess]:
    with start_reference_server() as process:
        yield process


def rows(run: LocustRun, kind: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
    return [row for row in run.summary["requests"]
            if (kind is None or row["type"] == kind) and (name is None or row["name"] == name)]


def within_in_flight(counted: int, sent: int, users: int = USERS) -> bool:
    """`counted` by the run equals `sent` by the proxy, but for requests cut off when the users stopped."""
    return sent - users <= counted <= sent


def test_rate_limited_run_retries_counts_429s_apart_and_passes_thresholds(
        upstream: RegistryProcess, tmp_path: Path) -> None:
    limit, busy = RateLimitEveryNth(), EveryNth(40, 503, "UNAVAILABLE", busy_until_in_two_seconds)
    thresholds = tmp_path / "thresholds.toml"
    thresholds.write_text("max_fail_ratio = 0\nmax_digest_mismatches = 0\nmax_rate_limited_ratio = 0.2\n")
    with FaultProxy(upstream.url, [limit, busy]) as proxy:
        # the users spend much of the run waiting (1-2 s per busy answer): more of them, a little longer
        run = run_locust(tmp_path, "--host", proxy.url, "-u", str(LIMITED_USERS), "-r", str(LIMITED_USERS),
                         "-t", "8s", *CONTENT, "--thresholds", str(thresholds),
                         "BlobPushMonolithic", "BlobPull", timeout=90)
    assert run.returncode == 0, run.output
    summary = run.summary
    assert summary["breaches"] == [] and summary["http"]["failures"] == 0, run.output
    assert summary["error_codes"] == {} and summary["digest_mismatches"] == 0
    assert summary["scenarios"]["BlobPull"]["bytes_down"] >= BLOB
    assert_stored(upstream.url, run.ledger_entries())

    block = summary["rate_limited"]
    assert limit.limited > 3 and busy.answered > 0, (limit.limited, busy.answered)
    assert within_in_flight(block["by_status"]["429"], limit.limited, LIMITED_USERS), (block, limit.limited)
    assert within_in_flight(block["by_status"]["503"], busy.answered, LIMITED_USERS), (block, busy.answered)
    assert block["gave_up"] == 0 and block["retried"] == block["total"] == sum(block["by_request"].values())
    assert block["announced_limits"] == {"ratelimit-limit": "20;w=1"}
    assert block["largest_retry_after_s"] is not None and 1.0 <= block["largest_retry_after_s"] <= 2.0
    assert block["waited_s"] >= block["by_status"]["429"] * 1.0
    # the retried answers are rows of their own (type 429 / 503, name "METHOD row"), not in the http block
    retried_rows = rows(run, "429") + rows(run, "503")
    assert sum(row["count"] for row in retried_rows) == block["retried"]
    assert all(row["failures"] == 0 and row["name"].split(" ", 1)[0] in ("GET", "HEAD", "POST", "PUT")
               for row in retried_rows)
    http_rows = [row for row in summary["requests"] if row["type"] in ("GET", "HEAD", "POST", "PUT", "PATCH")]
    assert summary["http"]["requests"] == sum(row["count"] for row in http_rows)
    assert sum(row["rate_limited"] for row in http_rows) == block["total"]
    assert summary["http"]["rate_limited_ratio"] == block["ratio"] == round(
        block["total"] / (summary["http"]["requests"] + block["retried"]), 6)
    # a stricter threshold on the same run would breach
    assert check(summary, parse({"max_rate_limited_ratio": block["ratio"] / 2}))[0].startswith(
        "rate-limited ratio")
    # requests.csv, report.html and the console say it too
    with (run.run_dir / "requests.csv").open() as handle:
        table = list(csv.DictReader(handle))
    assert sum(int(line["rate_limited"]) for line in table) == block["total"]
    assert {line["type"] for line in table} >= {"429", "503"}
    report = (run.run_dir / "report.html").read_text()
    assert 'id="registry-harness-rate-limits"' in report and "ratelimit-limit: 20;w=1" in report
    assert f"rate limited: {block['total']} answers" in run.stdout


def test_bare_500_and_503_stay_failures(upstream: RegistryProcess, tmp_path: Path) -> None:
    broken = EveryNth(20, 500, "UNKNOWN")
    unavailable = EveryNth(20, 503, "UNAVAILABLE")  # no Retry-After: a broken registry, not a busy one
    with FaultProxy(upstream.url, [broken, unavailable]) as proxy:
        run = run_locust(tmp_path, "--host", proxy.url, *ARGS, "BlobPushMonolithic", "BlobPull", timeout=90)
    assert run.returncode == 1, run.output  # Locust's exit code when requests failed
    summary = run.summary
    assert broken.answered > 3 and unavailable.answered > 3
    assert within_in_flight(summary["error_codes"].get("UNKNOWN", 0), broken.answered), summary["error_codes"]
    assert within_in_flight(summary["error_codes"].get("UNAVAILABLE", 0), unavailable.answered)
    failures = summary["http"]["failures"]
    assert failures == summary["error_codes"]["UNKNOWN"] + summary["error_codes"]["UNAVAILABLE"]
    assert summary["rate_limited"]["total"] == 0 and summary["http"]["rate_limited_ratio"] == 0.0
    assert rows(run, "429") == rows(run, "503") == []


@pytest.fixture
def storage(upstream: RegistryProcess) -> Iterator[StorageServer]:
    server = StorageServer(upstream.url)
    try:
        yield server
    finally:
        server.stop()


def test_blob_pulls_follow_redirects_to_storage_without_the_registry_token(
        upstream: RegistryProcess, storage: StorageServer, tmp_path: Path) -> None:
    auth = AnonymousBearerAuth()
    with FaultProxy(upstream.url, [auth, RedirectBlobGets(storage)]) as proxy:
        run = run_locust(tmp_path, "--host", proxy.url, *ARGS, "BlobPull", timeout=90,
                         env={"OCI_USERNAME": "", "OCI_PASSWORD": ""})
    assert run.returncode == 0, run.output
    summary = run.summary
    assert summary["http"]["failures"] == 0 and summary["error_codes"] == {}, run.output
    assert summary["digest_mismatches"] == 0  # --verify-share 1: every full pull hashed, every range compared
    # the registry demanded tokens, and got them on its own origin
    assert auth.challenged > 0 and auth.tokens and rows(run, "GET", "token")[0]["count"] > 0
    # storage served the blob bodies and never saw the registry's Authorization
    assert storage.served > 3 and storage.authorization_seen == []
    hops = [row for row in summary["requests"] if row["name"].endswith(REDIRECTED)]
    assert {row["name"] for row in hops} == {BLOB_ROW + REDIRECTED, BLOB_ROW + " Range" + REDIRECTED}
    followed = sum(row["count"] for row in hops)
    assert within_in_flight(followed, storage.served), (followed, storage.served)
    assert summary["redirects"]["followed"] == summary["redirects"]["to_other_origins"] >= followed
    # the registry's rows hold 307s (and 401 challenges): no blob bytes; the bytes counted are the storage
    # bodies' (Content-Length of the redirected rows), up to a body cut off at the stop
    assert sum(row["response_bytes"] for row in rows(run, "GET", BLOB_ROW)) < BLOB
    storage_bytes = sum(row["response_bytes"] for row in hops)
    down = summary["scenarios"]["BlobPull"]["bytes_down"]
    assert storage_bytes - USERS * BLOB <= down <= storage_bytes and down > 2 * BLOB, (down, storage_bytes)
    assert "redirects followed:" in run.stdout


class RedirectBlobHeadsToSelf(Fault):
    """Blob HEADs answer 308 to their path plus `?hop=1` (same origin); each hop's Authorization is noted."""

    name = "redirect-blob-heads-to-self"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.redirected = 0
        self.hops_with_authorization: dict[str, int] = {}

    def on_request(self, exchange: Exchange) -> None:
        blob_head = exchange.method == "HEAD" and BLOB_PATH.match(exchange.path) is not None
        if not blob_head or "/blobs/uploads" in exchange.path:
            return
        if exchange.query == "hop=1":
            with self.lock:
                key = exchange.request_header("authorization") or "(none)"
                self.hops_with_authorization[key] = self.hops_with_authorization.get(key, 0) + 1
            exchange.target = exchange.path
            return
        with self.lock:
            self.redirected += 1
        exchange.answer(308, b"", [("Location", f"{exchange.path}?hop=1"), ("Content-Length", "0")])


def test_blob_heads_follow_same_origin_redirects_with_the_authorization(
        upstream: RegistryProcess, tmp_path: Path) -> None:
    fault = RedirectBlobHeadsToSelf()
    with FaultProxy(upstream.url, [fault]) as proxy:
        run = run_locust(tmp_path, "--host", proxy.url, "-u", str(USERS), "-r", str(USERS), "-t", "4s",
                         "BlobHead", timeout=60, env={"OCI_TOKEN": "static-load-token"})
    assert run.returncode == 0, run.output
    summary = run.summary
    assert summary["http"]["failures"] == 0 and summary["error_codes"] == {}, run.output
    [hop_row] = rows(run, "HEAD", BLOB_ROW + REDIRECTED)
    assert fault.redirected > 10 and within_in_flight(hop_row["count"], fault.redirected)
    # the same origin: the registry's credentials went along on every hop
    assert set(fault.hops_with_authorization) == {"Bearer static-load-token"}, fault.hops_with_authorization
    assert within_in_flight(hop_row["count"], fault.hops_with_authorization["Bearer static-load-token"])
    assert summary["redirects"]["to_other_origins"] == 0
    assert summary["redirects"]["followed"] >= hop_row["count"]
