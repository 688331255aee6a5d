"""Server memory while one large blob goes through: RSS of the registry's whole process tree from /proc.

A sampler thread sums the resident set size of the server process and all its descendants (a
multi-worker server forks) every few milliseconds. The figures are peak RSS before the transfer
(idle), during a push and a verified pull of the big blob, and after it (idle again). A server that
streams keeps "during" close to "before"; one that buffers blobs grows by the blob size.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from load.bench_client import RegistryConnection
from load.bench_payload import BlobPool

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
MIB = 1 << 20


def process_tree(root_pid: int) -> list[int]:
    """`root_pid` and all of its live descendants, found through /proc/<pid>/stat parent ids."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root_pid]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def tree_rss(pids: list[int]) -> int:
    """Summed resident set size in bytes of `pids` (processes that vanished count as 0)."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
        except (OSError, IndexError, ValueError):
            continue
    return total


class RssSampler:
    """Samples the process tree's RSS in a background thread; `peak()` since the last `reset()`."""

    def __init__(self, root_pid: int, interval: float = 0.02) -> None:
        self._root = root_pid
        self._interval = interval
        self._peak = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pids = process_tree(root_pid)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        rounds = 0
        while not self._stop.is_set():
            if rounds % 25 == 0:
                self._pids = process_tree(self._root)
            rss = tree_rss(self._pids)
            with self._lock:
                self._peak = max(self._peak, rss)
            rounds += 1
            self._stop.wait(self._interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def reset(self) -> None:
        """Start a new phase: forget the peak so far."""
        with self._lock:
            self._peak = tree_rss(self._pids)

    def peak(self) -> int:
        """Peak RSS in bytes since the last reset."""
        with self._lock:
            return self._peak


@dataclass
class MemoryResult:
    """Peak RSS (MiB) of a registry's process tree around one large blob push + pull."""

    registry: str
    blob_size: int
    before_mib: float
    during_mib: float
    after_mib: float
    verified: bool
    error: str = ""

    @property
    def growth_mib(self) -> float:
        """How much the peak during the transfer exceeds the idle peak before it."""
        return self.during_mib - self.before_mib


def measure_memory(
    name: str, base: str, root_pid: int, *, pool: BlobPool, size: int, idle: float = 0.5
) -> MemoryResult:
    """Push and pull (verified) one blob of `size` while sampling the server's RSS."""
    payload = pool.new_payload(size)
    repo = "bench/memory"
    error = ""
    verified = False
    with RssSampler(root_pid) as sampler:
        time.sleep(idle)
        before = sampler.peak()
        sampler.reset()
        with RegistryConnection(base) as connection:
            try:
                connection.push(repo, pool, payload)
                connection.pull(repo, payload)
                verified = True
            except Exception as exc:  # the figure is reported with the error, never hidden
                error = f"{type(exc).__name__}: {exc}"
        during = sampler.peak()
        sampler.reset()
        time.sleep(idle)
        after = sampler.peak()
    return MemoryResult(name, size, before / MIB, during / MIB, after / MIB, verified, error)
