"""Benchmark traffic: timed blob pushes and verified pulls against one registry, with N threads.

A push is what real clients do for a blob they send whole: `POST /v2/<repo>/blobs/uploads/` then
`PUT <Location>&digest=<d>` with the body streamed as 1 MiB slices and an explicit `Content-Length`
(httpx sends a single large `bytes` body quadratically slowly). A pull is `GET /v2/<repo>/blobs/<d>`
read with `iter_bytes` and hashed as it arrives; a pull counts as verified only when both the length
and the sha256 digest match. A cell runs one operation at one size and concurrency until its count is
reached or its duration is over (each worker does at least one operation), and records per-operation
latencies and failures.
"""

from __future__ import annotations

import hashlib
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from load.bench_payload import BlobPool, Payload

TIMEOUT = httpx.Timeout(connect=10.0, read=300.0, write=300.0, pool=30.0)


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
    """Add `cell` to the one stored under `key` (latencies joined, wall time, failures, verified summed)."""
    existing = cells.get(key)
    if existing is None:
        cells[key] = cell
        return
    existing.latencies.extend(cell.latencies)
    existing.wall_seconds += cell.wall_seconds
    existing.failures += cell.failures
    existing.verified += cell.verified
    existing.first_error = existing.first_error or cell.first_error


def _upload_url(base: str, location: str, digest: str) -> str:
    absolute = urllib.parse.urljoin(base + "/", location)
    separator = "&" if urllib.parse.urlsplit(absolute).query else "?"
    return f"{absolute}{separator}digest={urllib.parse.quote(digest, safe='')}"


def push_blob(client: httpx.Client, base: str, repo: str, pool: BlobPool, payload: Payload) -> None:
    """POST an upload session, then PUT the whole blob streamed in slices; raise on any failure."""
    started = client.post(f"{base}/v2/{repo}/blobs/uploads/", headers={"Content-Length": "0"})
    if started.status_code != 202 or "location" not in started.headers:
        raise OperationError(f"POST uploads answered {started.status_code}: {started.text[:200]}")
    url = _upload_url(base, started.headers["location"], payload.digest)
    headers = {"Content-Length": str(payload.size), "Content-Type": "application/octet-stream"}
    finished = client.put(url, content=pool.slices(payload), headers=headers)
    if finished.status_code != 201:
        raise OperationError(f"PUT upload answered {finished.status_code}: {finished.text[:200]}")


def pull_blob(client: httpx.Client, base: str, repo: str, payload: Payload) -> None:
    """GET a blob, hashing while reading; raise unless length and digest match."""
    hasher = hashlib.sha256()
    received = 0
    with client.stream("GET", f"{base}/v2/{repo}/blobs/{payload.digest}") as response:
        if response.status_code != 200:
            response.read()
            raise OperationError(f"GET blob answered {response.status_code}: {response.text[:200]}")
        for chunk in response.iter_bytes():
            hasher.update(chunk)
            received += len(chunk)
    if received != payload.size or "sha256:" + hasher.hexdigest() != payload.digest:
        raise OperationError(f"GET blob {payload.digest}: got {received} bytes with another digest")


Operation = Callable[[httpx.Client, int], Payload | None]


def _run_workers(result: CellResult, operation: Operation, count: int, duration: float) -> None:
    """Run `operation(client, index)` from `result.concurrency` threads; fill latencies and failures."""
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
        with httpx.Client(timeout=TIMEOUT) as client:
            while (index := claim(done)) is not None:
                began = time.perf_counter()
                try:
                    operation(client, index)
                except (OperationError, httpx.HTTPError) as exc:
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

    def operation(client: httpx.Client, _index: int) -> Payload:
        payload = pool.new_payload(plan.size)
        push_blob(client, plan.base, plan.repo, pool, payload)
        with lock:
            pushed.append(payload)
        return payload

    _run_workers(result, operation, plan.count, plan.duration)
    return result, pushed


def run_pull_cell(plan: CellPlan, blobs: Sequence[Payload]) -> CellResult:
    """GET the given blobs round-robin, verifying every one; return the figures."""
    result = CellResult(plan.registry, "pull", plan.size, plan.concurrency)
    if not blobs:
        result.failures, result.first_error = 1, "nothing was pushed, so nothing could be pulled"
        return result
    lock = threading.Lock()

    def operation(client: httpx.Client, index: int) -> Payload:
        payload = blobs[index % len(blobs)]
        pull_blob(client, plan.base, plan.repo, payload)
        with lock:
            result.verified += 1
        return payload

    _run_workers(result, operation, plan.count, plan.duration)
    return result


def delete_blobs(base: str, repo: str, blobs: Sequence[Payload]) -> None:
    """Best-effort `DELETE` of benchmark blobs to bound disk use (a registry may refuse; that is fine)."""
    with httpx.Client(timeout=TIMEOUT) as client:
        for payload in blobs:
            try:
                client.delete(f"{base}/v2/{repo}/blobs/{payload.digest}")
            except httpx.HTTPError:
                return
