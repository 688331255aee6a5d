"""Benchmark traffic: timed blob pushes and verified pulls against one registry, with N threads.

The client is deliberately lean, so the figures measure the servers and not the client: on a 2-core
machine every CPU cycle the client spends is taken from the server it measures. It uses the standard
library's `http.client` with one persistent connection per thread, and treats both registries the same.

A push is what real clients do for a blob they send whole: `POST /v2/<repo>/blobs/uploads/` then
`PUT <Location>&digest=<d>` with the body and an explicit `Content-Length`. Large bodies go out as
memoryview slices of the shared pool (no copies); small ones as one `bytes`, sent with the headers in a
single write. A pull is `GET /v2/<repo>/blobs/<d>` read with `readinto` into a reusable buffer and
hashed as it arrives; it counts as verified only when both the length and the sha256 digest match.
A cell runs one operation at one size and concurrency until its count is reached or its duration is
over (each worker does at least one operation), and records per-operation latencies and failures.
Every socket operation has a timeout.
"""

from __future__ import annotations

import hashlib
import http.client
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from load.bench_payload import BlobPool, Payload

TIMEOUT = 120.0
READ_BUFFER = 1 << 20
SMALL_BODY = 64 << 10
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)


class OperationError(RuntimeError):
    """One push or pull failed (bad status, digest mismatch, short body)."""


@dataclass
class CellResult:
    """Figures for one (registry, operation, size, concurrency) cell."""

    registry: str
    op: str
    size: int
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    wall_seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    failures: int = 0
    verified: int = 0
    first_error: str = ""

    @property
    def ops(self) -> int:
        """Successful operations."""
        return len(self.latencies)

    @property
    def bytes_moved(self) -> int:
        """Blob bytes moved by successful operations."""
        return self.ops * self.size


def merge_into(cells: dict[tuple[int, int, str, str], CellResult], key: tuple[int, int, str, str],
               cell: CellResult) -> None:
    """Add `cell` to the one under `key`: latencies joined; wall and CPU time, failures, verified summed."""
    existing = cells.get(key)
    if existing is None:
        cells[key] = cell
        return
    existing.latencies.extend(cell.latencies)
    existing.wall_seconds += cell.wall_seconds
    existing.server_cpu_seconds += cell.server_cpu_seconds
    existing.client_cpu_seconds += cell.client_cpu_seconds
    existing.failures += cell.failures
    existing.verified += cell.verified
    existing.first_error = existing.first_error or cell.first_error


class RegistryConnection:
    """One persistent HTTP/1.1 connection to a registry at `base` (`http://127.0.0.1:<port>`).

    After a failed operation the connection is closed; `http.client` reopens it on the next request.
    """

    def __init__(self, base: str, timeout: float = TIMEOUT) -> None:
        parts = urllib.parse.urlsplit(base)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"the benchmark speaks plain http to a host: {base!r}")
        self.base = base
        self._conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        self._buffer = bytearray(READ_BUFFER)
        self._view = memoryview(self._buffer)

    def __enter__(self) -> RegistryConnection:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the socket (the next request opens a new one)."""
        self._conn.close()

    def _request(self, method: str, target: str, body: bytes | Iterable[bytes | memoryview] | None,
                 headers: dict[str, str]) -> http.client.HTTPResponse:
        try:
            self._conn.request(method, target, body=body, headers=headers)
            return self._conn.getresponse()
        except BaseException:
            self._conn.close()
            raise

    def _small_answer(self, method: str, target: str, body: bytes | Iterable[bytes | memoryview] | None,
                      headers: dict[str, str]) -> tuple[http.client.HTTPResponse, bytes]:
        """A request whose answer body is small: the answer with its body read (the connection is free)."""
        response = self._request(method, target, body, headers)
        try:
            return response, response.read()
        except BaseException:
            self._conn.close()
            raise

    def _target(self, location: str) -> str:
        """The request target (path and query) of a possibly relative `Location` on this registry."""
        parts = urllib.parse.urlsplit(urllib.parse.urljoin(self.base + "/", location))
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def push(self, repo: str, pool: BlobPool, payload: Payload) -> None:
        """POST an upload session, then PUT the whole blob with its digest; raise on any failure."""
        started, text = self._small_answer("POST", f"/v2/{repo}/blobs/uploads/", b"", {"Content-Length": "0"})
        location = started.getheader("Location")
        if started.status != 202 or location is None:
            raise OperationError(f"POST uploads answered {started.status}: {text[:200]!r}")
        target = self._target(location)
        separator = "&" if "?" in target else "?"
        target += f"{separator}digest={urllib.parse.quote(payload.digest, safe='')}"
        pieces = pool.slices(payload)
        body = b"".join(pieces) if payload.size <= SMALL_BODY else pieces
        headers = {"Content-Length": str(payload.size), "Content-Type": "application/octet-stream"}
        finished, text = self._small_answer("PUT", target, body, headers)
        if finished.status != 201:
            raise OperationError(f"PUT upload answered {finished.status}: {text[:200]!r}")

    def pull(self, repo: str, payload: Payload) -> None:
        """GET a blob, hashing while reading into a reusable buffer; raise unless length and digest match."""
        response = self._request("GET", f"/v2/{repo}/blobs/{payload.digest}", None, {})
        try:
            if response.status != 200:
                raise OperationError(f"GET blob answered {response.status}: {response.read()[:200]!r}")
            hasher = hashlib.sha256()
            received = 0
            view = self._view
            while count := response.readinto(view):
                hasher.update(view[:count])
                received += count
        except BaseException:
            self._conn.close()
            raise
        if received != payload.size or "sha256:" + hasher.hexdigest() != payload.digest:
            raise OperationError(f"GET blob {payload.digest}: got {received} bytes with another digest")

    def delete(self, repo: str, payload: Payload) -> int:
        """`DELETE` a blob; the status code."""
        response, _ = self._small_answer("DELETE", f"/v2/{repo}/blobs/{payload.digest}", None, {})
        return response.status


Operation = Callable[[RegistryConnection, int], Payload | None]


def _run_workers(result: CellResult, base: str, operation: Operation, count: int, duration: float) -> None:
    """Run `operation(connection, index)` from `result.concurrency` threads; fill latencies and failures."""
    lock = threading.Lock()
    next_index = [0]
    deadline = time.perf_counter() + duration

    def claim(done_by_me: int) -> int | None:
        with lock:
            if next_index[0] >= count or (done_by_me > 0 and time.perf_counter() >= deadline):
                return None
            next_index[0] += 1
            return next_index[0] - 1

    def worker() -> None:
        done = 0
        with RegistryConnection(base) as connection:
            while (index := claim(done)) is not None:
                began = time.perf_counter()
                try:
                    operation(connection, index)
                except (OperationError, *TRANSPORT_ERRORS) as exc:
                    with lock:
                        result.failures += 1
                        result.first_error = result.first_error or f"{type(exc).__name__}: {exc}"
                else:
                    elapsed = time.perf_counter() - began
                    with lock:
                        result.latencies.append(elapsed)
                done += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(result.concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.wall_seconds = time.perf_counter() - began


@dataclass(frozen=True)
class CellPlan:
    """What one cell does: against which registry and repository, and how much."""

    registry: str
    base: str
    repo: str
    size: int
    concurrency: int
    count: int
    duration: float


def run_push_cell(plan: CellPlan, pool: BlobPool) -> tuple[CellResult, list[Payload]]:
    """Push fresh blobs of `plan.size`; return the figures and the blobs that were stored."""
    result = CellResult(plan.registry, "push", plan.size, plan.concurrency)
    pushed: list[Payload] = []
    lock = threading.Lock()

    def operation(connection: RegistryConnection, _index: int) -> Payload:
        payload = pool.new_payload(plan.size)
        connection.push(plan.repo, pool, payload)
        with lock:
            pushed.append(payload)
        return payload

    _run_workers(result, plan.base, operation, plan.count, plan.duration)
    return result, pushed


def run_pull_cell(plan: CellPlan, blobs: Sequence[Payload]) -> CellResult:
    """GET the given blobs round-robin, verifying every one; return the figures."""
    result = CellResult(plan.registry, "pull", plan.size, plan.concurrency)
    if not blobs:
        result.failures, result.first_error = 1, "nothing was pushed, so nothing could be pulled"
        return result
    lock = threading.Lock()

    def operation(connection: RegistryConnection, index: int) -> Payload:
        payload = blobs[index % len(blobs)]
        connection.pull(plan.repo, payload)
        with lock:
            result.verified += 1
        return payload

    _run_workers(result, plan.base, operation, plan.count, plan.duration)
    return result


def delete_blobs(base: str, repo: str, blobs: Sequence[Payload]) -> None:
    """Best-effort `DELETE` of benchmark blobs to bound disk use (a registry may refuse; that is fine)."""
    with RegistryConnection(base) as connection:
        for payload in blobs:
            try:
                connection.delete(repo, payload)
            except TRANSPORT_ERRORS:
                return
