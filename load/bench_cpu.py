"""CPU time of a benchmark cell: the registry's whole process tree (from /proc) and the bench client's.

A cell's throughput says how fast; these figures say at what CPU cost per operation. When a cell keeps
every core busy (concurrency 8 on a 2-core machine), throughput is bounded by CPU per byte, so the two
registries' CPU per operation bounds their throughput ratio there. Server time is the clock ticks of
/proc/<pid>/stat (user + system) of the server process and every live descendant (the workers of a
multi-process server), summed; client time is `os.times()` of this process (all its threads).

`sha256_seconds_per_256mib` measures the largest part of a push's unavoidable server CPU on this machine
in this run: hashing 256 MiB once (from a hot 1 MiB buffer, in one thread). A registry that verifies
every byte cannot spend less than that per 256 MiB pushed; on a shared VM the figure moves with the load.
`page_cache_write_seconds_per_256mib` is the other part every push pays: writing 256 MiB into new
page-cache pages. On a VM whose host takes back free guest memory (free page reporting), that costs
several times more once pages have stayed free for a few seconds, for any registry alike.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from load.bench_memory import process_tree

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds used so far by a server's process tree and by this (client) process."""

    server: float
    client: float

    def __sub__(self, earlier: CpuSnapshot) -> CpuSnapshot:
        return CpuSnapshot(self.server - earlier.server, self.client - earlier.client)


def tree_cpu_seconds(root_pid: int) -> float:
    """User + system CPU seconds of `root_pid` and its live descendants (vanished ones count as 0)."""
    total = 0
    for pid in process_tree(root_pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except (OSError, IndexError, ValueError):
            continue
    return total / CLOCK_TICKS


def cpu_snapshot(server_pid: int) -> CpuSnapshot:
    """The server tree's and this process's CPU seconds now."""
    times = os.times()
    return CpuSnapshot(tree_cpu_seconds(server_pid), times.user + times.system)


def sha256_seconds_per_256mib(buffer: bytes | memoryview) -> float:
    """Thread CPU seconds to sha256 256 MiB by feeding `buffer` (1 MiB suggested) repeatedly."""
    view = memoryview(buffer)
    repeats = max(1, (256 << 20) // len(view))
    hasher = hashlib.sha256()
    began = time.thread_time()
    for _ in range(repeats):
        hasher.update(view)
    return (time.thread_time() - began) * (256 << 20) / (repeats * len(view))


def page_cache_write_seconds_per_256mib(directory: str, buffer: bytes | memoryview) -> float:
    """Thread CPU seconds to write 256 MiB (from `buffer`, repeated) into a new file in `directory`."""
    view = memoryview(buffer)
    repeats = max(1, (256 << 20) // len(view))
    fd, path = tempfile.mkstemp(prefix="bench-page-cache-", dir=directory)
    try:
        began = time.thread_time()
        for _ in range(repeats):
            written = 0
            while written < len(view):
                written += os.write(fd, view[written:])
        spent = time.thread_time() - began
    finally:
        os.close(fd)
        os.unlink(path)
    return spent * (256 << 20) / (repeats * len(view))
