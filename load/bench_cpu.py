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
DROP_CACHES = Path("/proc/sys/vm/drop_caches")


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds used so far by a server's process tree and by this (client) process."""

    server: float
    client: float

    def __sub__(self, earlier: CpuSnapshot) -> CpuSnapshot:
        return CpuSnapshot(self.server - earlier.server, self.client - earlier.client)


def tree_cpu_times(root_pid: int) -> tuple[float, float]:
    """User and system CPU seconds of `root_pid` and its live descendants (vanished ones count as 0)."""
    user = system = 0
    for pid in process_tree(root_pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of stat
        except (OSError, IndexError, ValueError):
            continue
        user, system = user + utime, system + stime
    return user / CLOCK_TICKS, system / CLOCK_TICKS


def tree_cpu_seconds(root_pid: int) -> float:
    """User + system CPU seconds of `root_pid` and its live descendants."""
    user, system = tree_cpu_times(root_pid)
    return user + system


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


def settle(drop_page_cache: bool = False) -> bool:
    """Flush dirty pages before a cell; before push cells also drop the clean page cache if allowed.

    The flush keeps one registry's writeback from slowing the next cell down. The drop removes two effects
    of earlier cells that would otherwise land on whichever registry pushes next (measured with `perf` on
    the project's 2-core VM):
    - page cache growing into never-touched guest memory costs the kernel ~10x more than reusing freed
      pages: a bare 1 MiB `write` loop (no HTTP, no hashing) falls from 3.8 GiB/s to ~300 MiB/s once
      ~4 GiB of blobs stay cached, and runs at 2-4 GiB/s in every round when the cache is dropped first;
    - the blobs deleted after each cell leave thousands of recently deleted inodes whose inode-table
      blocks stay cached; ext4's inode allocator then skips each of them (kernel `recently_deleted`, the
      top kernel symbol), so creating files gets slower: our 4 KiB push at concurrency 8 ran at ~500-770
      ops/s with the cache kept and ~1200-1270 with it dropped (distribution, ~5x slower per push, barely
      moved).
    Pull cells keep the cache, like a registry serving a blob it just received. Returns whether the cache
    was dropped (it needs root; otherwise only the flush happens).
    """
    os.sync()
    if not drop_page_cache:
        return False
    try:
        DROP_CACHES.write_text("1\n")
    except OSError:
        return False
    return True
