"""Benchmark figures: per-cell statistics, the side-by-side table, targets and the JSON document.

Each row pairs the same (size, concurrency, operation) cell run against our server and against
distribution; the ratio is ours / distribution on throughput (MB/s and ops/s give the same ratio for a
fixed size). Latency percentiles use the nearest-rank method over all successful operations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from load.bench_client import CellResult
from load.bench_memory import MemoryResult

OURS = "ours"
DISTRIBUTION = "distribution"
MB = 1_000_000


def format_size(size: int) -> str:
    """`4KiB`, `1MiB`, `256MiB`, `1GiB` or plain bytes."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}B"


def parse_size(text: str) -> int:
    """Inverse of `format_size`, also accepting `K`/`M`/`G`, `KB`/`MB`/`GB` (binary) and plain bytes."""
    value = text.strip().upper().removesuffix("B").removesuffix("I")
    factors = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if value and value[-1] in factors:
        return int(float(value[:-1]) * factors[value[-1]])
    return int(value)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for an empty list)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def cell_figures(cell: CellResult) -> dict[str, float | int | str]:
    """The reported numbers of one cell."""
    wall = cell.wall_seconds or float("nan")
    return {
        "ops": cell.ops,
        "failures": cell.failures,
        "verified": cell.verified,
        "seconds": round(cell.wall_seconds, 4),
        "mb_per_s": round(cell.bytes_moved / MB / wall, 2) if cell.ops else 0.0,
        "ops_per_s": round(cell.ops / wall, 2) if cell.ops else 0.0,
        "p50_ms": round(percentile(cell.latencies, 0.50) * 1000, 2),
        "p95_ms": round(percentile(cell.latencies, 0.95) * 1000, 2),
        "server_cpu_ms_per_op": round(cell.server_cpu_seconds * 1000 / cell.ops, 2) if cell.ops else 0.0,
        "client_cpu_ms_per_op": round(cell.client_cpu_seconds * 1000 / cell.ops, 2) if cell.ops else 0.0,
        "first_error": cell.first_error,
    }


@dataclass
class Row:
    """One (size, concurrency, operation) cell for both registries."""

    size: int
    concurrency: int
    op: str
    ours: CellResult
    distribution: CellResult

    @property
    def ratio(self) -> float | None:
        """Ours / distribution throughput, or None when distribution moved nothing."""
        theirs = cell_figures(self.distribution)["ops_per_s"]
        mine = cell_figures(self.ours)["ops_per_s"]
        assert isinstance(theirs, float) and isinstance(mine, float)
        return round(mine / theirs, 2) if theirs else None

    def as_json(self) -> dict[str, object]:
        """The row as a JSON-ready dict."""
        return {
            "size": self.size,
            "size_label": format_size(self.size),
            "concurrency": self.concurrency,
            "op": self.op,
            OURS: cell_figures(self.ours),
            DISTRIBUTION: cell_figures(self.distribution),
            "ratio": self.ratio,
        }


def render_table(rows: Sequence[Row]) -> str:
    """The side-by-side text table."""
    header = (
        f"{'size':>7} {'conc':>4} {'op':<4} | {'ours MB/s':>9} {'ops/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"| {'dist MB/s':>9} {'ops/s':>8} {'p50 ms':>8} {'p95 ms':>8} | {'ours/dist':>9}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        ours, theirs = cell_figures(row.ours), cell_figures(row.distribution)
        ratio = "n/a" if row.ratio is None else f"{row.ratio:.2f}x"
        lines.append(
            f"{format_size(row.size):>7} {row.concurrency:>4} {row.op:<4} | "
            f"{ours['mb_per_s']:>9} {ours['ops_per_s']:>8} {ours['p50_ms']:>8} {ours['p95_ms']:>8} | "
            f"{theirs['mb_per_s']:>9} {theirs['ops_per_s']:>8} {theirs['p50_ms']:>8} {theirs['p95_ms']:>8} | "
            f"{ratio:>9}"
        )
    return "\n".join(lines)


def render_cpu(rows: Sequence[Row]) -> str:
    """CPU milliseconds per operation: each server's process tree and the bench client, per registry.

    `dist/ours` is distribution's server CPU per operation over ours: where a cell keeps every core busy,
    it bounds the throughput ratio (the client's share aside).
    """
    title = "CPU ms per operation (server = the registry's process tree; client = this benchmark):"
    header = (
        f"{'size':>7} {'conc':>4} {'op':<4} | {'ours server':>11} {'client':>8} "
        f"| {'dist server':>11} {'client':>8} | {'dist/ours':>9}"
    )
    lines = [title, header, "-" * len(header)]
    for row in rows:
        ours, theirs = cell_figures(row.ours), cell_figures(row.distribution)
        mine, other = ours["server_cpu_ms_per_op"], theirs["server_cpu_ms_per_op"]
        assert isinstance(mine, float) and isinstance(other, float)
        ratio = f"{other / mine:.2f}x" if mine else "n/a"
        lines.append(
            f"{format_size(row.size):>7} {row.concurrency:>4} {row.op:<4} | {mine:>11} "
            f"{ours['client_cpu_ms_per_op']:>8} | {other:>11} {theirs['client_cpu_ms_per_op']:>8} "
            f"| {ratio:>9}"
        )
    return "\n".join(lines)


CPU_REFERENCE = 256 << 20
PUSH_CPU_TARGET_SECONDS = 0.33
PUSH_CPU_TARGET_RATIO = 3.0


def _server_cpu_per_reference(cell: CellResult) -> float | None:
    """Server CPU seconds per `CPU_REFERENCE` bytes pushed, from a cell's CPU per operation."""
    if not cell.ops or not cell.size:
        return None
    return cell.server_cpu_seconds / cell.ops * CPU_REFERENCE / cell.size


def push_cpu_per_256mib(rows: Sequence[Row]) -> list[dict[str, object]]:
    """Server CPU per 256 MiB pushed, ours and distribution, for each push cell of the largest size.

    Each figure is the cell's server CPU per operation scaled to 256 MiB (exact for 256 MiB blobs); the
    ratio is distribution over ours (how many times less CPU we spend), None where a cell moved nothing.
    """
    largest = max((row.size for row in rows if row.op == "push"), default=0)
    entries: list[dict[str, object]] = []
    for row in rows:
        if row.op != "push" or row.size != largest:
            continue
        ours, theirs = _server_cpu_per_reference(row.ours), _server_cpu_per_reference(row.distribution)
        entries.append({
            "size": row.size,
            "concurrency": row.concurrency,
            OURS: None if ours is None else round(ours, 3),
            DISTRIBUTION: None if theirs is None else round(theirs, 3),
            "ratio": round(theirs / ours, 2) if ours and theirs is not None else None,
        })
    return entries


def render_push_cpu(entries: Sequence[dict[str, object]]) -> str:
    """One line per push cell: 'server CPU per 256 MiB push: ours X s, distribution Y s, ratio Z'."""
    lines = []
    for entry in entries:
        size, conc = entry["size"], entry["concurrency"]
        assert isinstance(size, int)
        ours, theirs, ratio = entry[OURS], entry[DISTRIBUTION], entry["ratio"]
        shown = "n/a" if ratio is None else f"{ratio:.2f}x less"
        lines.append(
            f"  server CPU per 256 MiB push ({format_size(size)} blobs, concurrency {conc}): "
            f"ours {'n/a' if ours is None else f'{ours:.3f} s'}, "
            f"distribution {'n/a' if theirs is None else f'{theirs:.3f} s'}, ratio {shown}"
        )
    return "\n".join(lines)


def render_memory(results: Sequence[MemoryResult]) -> str:
    """The memory table: peak RSS of each server's process tree around one large blob."""
    header = (
        f"{'registry':<13} {'blob':>7} | {'before MiB':>10} {'during MiB':>10} {'after MiB':>10} "
        f"| {'growth':>8} | ok"
    )
    lines = [header, "-" * len(header)]
    for result in results:
        status = "verified" if result.verified else f"FAILED {result.error}"
        lines.append(
            f"{result.registry:<13} {format_size(result.blob_size):>7} | {result.before_mib:>10.1f} "
            f"{result.during_mib:>10.1f} {result.after_mib:>10.1f} | {result.growth_mib:>8.1f} | {status}"
        )
    return "\n".join(lines)


def memory_json(result: MemoryResult) -> dict[str, object]:
    """One memory measurement as a JSON-ready dict."""
    return {
        "blob_size": result.blob_size,
        "before_mib": round(result.before_mib, 1),
        "during_mib": round(result.during_mib, 1),
        "after_mib": round(result.after_mib, 1),
        "growth_mib": round(result.growth_mib, 1),
        "verified": result.verified,
        "error": result.error,
    }


FLAT_MEMORY_MIB = 64.0


def _cpu_targets(rows: Sequence[Row], settled: tuple[float, float | None] | None) -> list[dict[str, object]]:
    """The CPU-per-256-MiB targets: on the settled pushes' medians where measured, else on the push cells."""
    ceiling: float | None
    ratio: float | None
    if settled is not None:
        label, ceiling, ratio = "settled pushes, median", round(settled[0], 3), settled[1]
    else:
        cpu = push_cpu_per_256mib(rows)
        if not cpu:
            return []
        largest = max(row.size for row in rows)
        label = f"{format_size(largest)} push cells"
        ours_cpu = [value for entry in cpu if isinstance(value := entry[OURS], float)]
        cpu_ratios = [value for entry in cpu if isinstance(value := entry["ratio"], float)]
        ceiling = max(ours_cpu) if ours_cpu else None
        ratio = min(cpu_ratios) if cpu_ratios else None
    return [
        {
            "target": f"server CPU per 256 MiB ({label}) <= {PUSH_CPU_TARGET_SECONDS} s",
            "measured": ceiling,
            "met": ceiling is not None and ceiling <= PUSH_CPU_TARGET_SECONDS,
        },
        {
            "target": f"server CPU per 256 MiB ({label}) >= {PUSH_CPU_TARGET_RATIO:.0f}x less than "
                      "distribution",
            "measured": None if ratio is None else round(ratio, 2),
            "met": ratio is not None and ratio >= PUSH_CPU_TARGET_RATIO,
        },
    ]


def evaluate_targets(rows: Sequence[Row], memory: dict[str, MemoryResult],
                     settled: tuple[float, float | None] | None = None) -> list[dict[str, object]]:
    """The project's speed targets, each with the measured ratio (or growth) and whether it is met.

    `settled` is (our median CPU per 256 MiB, distribution / ours) from `load.bench_settled_cpu`; without
    it the CPU targets are judged on the push cells of the largest size (which carry page-cache growth).
    """
    largest = max((row.size for row in rows), default=0)
    smallest = min((row.size for row in rows), default=0)

    def ratios(size: int, op: str) -> list[float]:
        return [row.ratio for row in rows if row.size == size and row.op == op and row.ratio is not None]

    targets: list[dict[str, object]] = []
    checks = [
        (f"{format_size(largest)} push >= 3x distribution", largest, "push", 3.0),
        (f"{format_size(largest)} pull >= 1x distribution", largest, "pull", 1.0),
    ]
    if smallest < largest:
        checks += [
            (f"{format_size(smallest)} push ops/s >= 3x distribution", smallest, "push", 3.0),
            (f"{format_size(smallest)} GET ops/s >= 3x distribution", smallest, "pull", 3.0),
        ]
    for name, size, op, wanted in checks:
        measured = ratios(size, op)
        worst = min(measured) if measured else None
        targets.append({"target": name, "measured": worst, "met": worst is not None and worst >= wanted})
    targets.extend(_cpu_targets(rows, settled))
    if OURS in memory:
        ours = memory[OURS]
        flat = f"growth < {FLAT_MEMORY_MIB:.0f} MiB"
        targets.append({
            "target": f"server memory flat for a {format_size(ours.blob_size)} blob ({flat})",
            "measured": round(ours.growth_mib, 1),
            "met": ours.verified and ours.growth_mib < FLAT_MEMORY_MIB,
        })
    return targets


def render_targets(targets: Sequence[dict[str, object]]) -> str:
    """One line per target: met / NOT met and the worst measured figure."""
    return "\n".join(
        f"  [{'met' if target['met'] else 'NOT met'}] {target['target']}: measured {target['measured']}"
        for target in targets
    )
