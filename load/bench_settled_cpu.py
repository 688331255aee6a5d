"""Server CPU of one push at a time on a settled machine: the figure the CPU-per-byte targets are judged on.

The push cells of `load.bench` charge each registry the CPU its process tree spent over a whole cell of
back-to-back pushes. On a VM whose host takes back free guest memory, that figure carries a cost that
belongs to the machine, not to the registry: every push after the first grows the page cache into guest
pages the host has reclaimed, and the kernel time of backing them again is charged to whichever process
touches them first. Measured on the project's 2-core VM, sequential 256 MiB pushes (user / system CPU of
the server): ours 0.14-0.17 / 0.09-0.18 s each when the page cache is dropped before every push,
0.14-0.17 / 0.30-1.02 s back to back; distribution 2.8.2 0.57-0.70 / 0.28-0.40 s against 0.70-0.77 /
0.93-1.51 s. User time (the
hashing and the protocol) does not move; system time grows by about the same for both, which compresses
the ratio and makes the figure depend on how long the cell ran.

So here each push stands alone: before it the dirty pages are flushed and the clean page cache dropped
(`bench_cpu.settle`; needs root, otherwise the figures keep the growth and the output says so), then one
monolithic push (POST + PUT of the whole blob), then a short quiet wait so work finishing after the answer
is counted too; the server's process-tree CPU is read around exactly that. The registries alternate push
by push, so drift of the machine reaches both, and each figure is scaled to 256 MiB. The throughput
cells and their CPU table stay as they are; this adds the per-push figure beside them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from conformance.registries import RegistryProcess
from load.bench_client import TRANSPORT_ERRORS, OperationError, RegistryConnection, delete_blobs
from load.bench_cpu import settle, tree_cpu_times
from load.bench_payload import BlobPool, Payload

REFERENCE = 256 << 20
QUIET_SECONDS = 0.3
REPO = "bench/settled-cpu"


@dataclass
class SettledPushCpu:
    """One registry's per-push server CPU (user, system), each scaled to 256 MiB."""

    registry: str
    size: int
    user: list[float] = field(default_factory=list)
    system: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)  # of the blobs pushed (deleted afterwards)

    @property
    def totals(self) -> list[float]:
        """User + system seconds per push (scaled)."""
        return [u + s for u, s in zip(self.user, self.system, strict=True)]

    @property
    def median(self) -> float | None:
        """The median total, None when no push succeeded."""
        return statistics.median(self.totals) if self.totals else None

    def as_json(self) -> dict[str, object]:
        """The figures as written to the bench's JSON document."""
        totals = self.totals

        def rounded(values: list[float]) -> list[float]:
            return [round(v, 3) for v in values]

        return {
            "size": self.size,
            "pushes": len(totals),
            "seconds": rounded(totals),
            "user": rounded(self.user),
            "system": rounded(self.system),
            "median": None if self.median is None else round(self.median, 3),
            "median_user": round(statistics.median(self.user), 3) if self.user else None,
            "median_system": round(statistics.median(self.system), 3) if self.system else None,
            "failures": self.failures,
            "digests": self.digests,
        }


def _one_push(registry: RegistryProcess, pool: BlobPool, payload: Payload) -> tuple[float, float]:
    """Push `payload` once; the server tree's (user, system) CPU seconds around it."""
    pid = registry.process.pid
    with RegistryConnection(registry.url) as connection:
        user_before, system_before = tree_cpu_times(pid)
        connection.push(REPO, pool, payload)
        time.sleep(QUIET_SECONDS)
        user_after, system_after = tree_cpu_times(pid)
    return user_after - user_before, system_after - system_before


@dataclass
class SettledRun:
    """Every registry's settled pushes, and whether the page cache was dropped before each of them."""

    size: int
    pushes: int
    results: dict[str, SettledPushCpu]
    dropped: bool

    def ratio(self, ours: str, theirs: str) -> float | None:
        """How many times less CPU `ours` spends per push than `theirs` (medians), None without figures."""
        mine, other = self.results[ours].median, self.results[theirs].median
        if not mine or other is None:
            return None
        return other / mine

    def target_figures(self, ours: str, theirs: str) -> tuple[float, float | None] | None:
        """(our median, the ratio) for the CPU targets, None when nothing was measured."""
        median = self.results[ours].median
        return None if median is None else (median, self.ratio(ours, theirs))

    def failures(self) -> list[str]:
        """Every failed push, as readable lines."""
        return [f"{name} settled push CPU: {line}" for name, result in self.results.items()
                for line in result.failures]

    def as_json(self, ours: str, theirs: str) -> dict[str, object]:
        """The figures as written to the bench's JSON document."""
        ratio = self.ratio(ours, theirs)
        return {
            "pushes": self.pushes, "size": self.size, "page_cache_dropped": self.dropped,
            "ratio": None if ratio is None else round(ratio, 2),
            **{name: result.as_json() for name, result in self.results.items()},
        }

    def render(self, ours: str, theirs: str) -> str:
        """Per registry: median (user / system) and the range; then the ratio of the medians."""
        lines = []
        for result in self.results.values():
            if result.median is None:
                lines.append(f"  {result.registry}: no push succeeded ({'; '.join(result.failures)})")
                continue
            user, system = statistics.median(result.user), statistics.median(result.system)
            lines.append(
                f"  {result.registry}: median {result.median:.3f} s (user {user:.3f} + system {system:.3f}), "
                f"range {min(result.totals):.3f}-{max(result.totals):.3f} s over {len(result.totals)} pushes"
            )
        found = self.ratio(ours, theirs)
        lines.append(f"  ratio {theirs} / {ours}: {'n/a' if found is None else f'{found:.2f}x less'}")
        if not self.dropped:
            lines.append("  (the page cache could not be dropped before every push: these figures include "
                         "its growth, as the cell figures above do)")
        return "\n".join(lines)


def measure(registries: Mapping[str, RegistryProcess], pool: BlobPool, size: int, pushes: int,
            drop_page_cache: bool) -> SettledRun:
    """`pushes` settled pushes of `size` bytes per registry, the registries alternating push by push."""
    results = {name: SettledPushCpu(name, size) for name in registries}
    stored: dict[str, list[Payload]] = {name: [] for name in registries}
    dropped: set[bool] = set()
    names = list(registries)
    scale = REFERENCE / size
    for number in range(pushes):
        order = names if number % 2 == 0 else names[::-1]
        for name in order:
            payload = pool.new_payload(size)
            dropped.add(settle(drop_page_cache=drop_page_cache))
            try:
                user, system = _one_push(registries[name], pool, payload)
            except (OperationError, *TRANSPORT_ERRORS) as exc:
                results[name].failures.append(f"push {number + 1}: {exc}")
                continue
            stored[name].append(payload)
            results[name].digests.append(payload.digest)
            results[name].user.append(user * scale)
            results[name].system.append(system * scale)
    for name, payloads in stored.items():
        delete_blobs(registries[name].url, REPO, payloads)
    return SettledRun(size, pushes, results, dropped == {True})
