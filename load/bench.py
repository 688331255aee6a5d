"""`python -m load.bench`: our reference server and distribution 2.8.2 side by side, on loopback.

The command starts both registries itself (through `conformance.registries`), then for every blob
size and concurrency pushes and pulls against both, alternating which registry goes first from row
to row so machine noise hits both. It prints one table (MB/s, ops/s, p50/p95 latency per registry
and the ours/distribution ratio), a second with the CPU each server's process tree and the client spent
per operation (load/bench_cpu.py: where a cell keeps every core busy, the CPU ratio bounds the
throughput ratio), each server's CPU per 256 MiB pushed (the push cells of the largest size, scaled,
with the distribution / ours ratio, next to what sha256 alone and a page-cache write of 256 MiB cost on
the machine in that run), the servers' peak memory while one large blob goes through, and the
project's speed targets with the measured figures. Pushes are monolithic `POST` + `PUT` with the
body (what real clients do for a whole blob); every pull is verified by length and digest.
This is a benchmark that prints figures, never a test that asserts speed. All traffic goes to
127.0.0.1 and every cell is bounded in count and time. Exits 1 if any operation failed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from conformance.registries import (
    RegistryProcess,
    RegistryStartError,
    start_distribution,
    start_reference_server,
)
from load import bench_settled_cpu
from load.bench_client import CellPlan, CellResult, delete_blobs, merge_into, run_pull_cell, run_push_cell
from load.bench_cpu import (
    CpuSnapshot,
    cpu_snapshot,
    page_cache_write_seconds_per_256mib,
    settle,
    sha256_seconds_per_256mib,
)
from load.bench_memory import MemoryResult, measure_memory
from load.bench_payload import DEFAULT_POOL_SIZE, BlobPool
from load.bench_report import (
    DISTRIBUTION,
    OURS,
    Row,
    evaluate_targets,
    format_size,
    memory_json,
    parse_size,
    push_cpu_per_256mib,
    render_cpu,
    render_memory,
    render_push_cpu,
    render_table,
    render_targets,
)

DEFAULT_SIZES = "4KiB,1MiB,32MiB,256MiB"
DEFAULT_CONCURRENCY = "1,8"
MAX_DURATION = 120.0
MAX_COUNT = 100_000
MAX_ROUNDS = 10
MAX_SETTLED_PUSHES = 50
PUSH_NOTE = (
    "push = POST /blobs/uploads/ + PUT <Location>&digest= with the whole body streamed in 1 MiB slices "
    "(monolithic, like real clients sending a whole blob); pull = GET verified by length and sha256; "
    "client: http.client, one persistent connection per thread, zero-copy bodies, same for both; "
    "dirty pages are flushed (sync) before every cell, and clean page cache is dropped before every push "
    "cell when the machine allows it (see `settle`)."
)


def default_count(size: int) -> int:
    """How many operations a cell may run at most, by blob size (the duration usually ends it first)."""
    if size <= 64 << 10:
        return 2000
    if size <= 2 << 20:
        return 400
    if size <= 64 << 20:
        return 48
    return 8


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m load.bench", description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--sizes", default=None, help=f"blob sizes, comma-separated (default {DEFAULT_SIZES})")
    add("--concurrency", default=None, help=f"thread counts, comma-separated (default {DEFAULT_CONCURRENCY})")
    add("--duration", type=float, default=None, help="seconds per cell at most (default 4)")
    add("--count", type=int, default=None, help="operations per cell at most (default by size)")
    add("--rounds", type=int, default=1, help="run the whole grid this many times, merged (default 1)")
    add("--memory-size", default=None, help="blob size for the memory check, 0 to skip (default 1GiB)")
    add("--workers", type=int, default=None, help="--workers passed to our server")
    add("--json", type=Path, default=None, help="write all figures to this JSON file")
    add("--keep-page-cache", action="store_true",
        help="never drop the clean page cache before push cells (see the module's `settle`)")
    add("--settled-pushes", type=int, default=None,
        help="pushes of the largest size per registry, one at a time on a settled machine, for the CPU "
             "per 256 MiB figure the targets are judged on (load/bench_settled_cpu.py; default 8, 0 skips)")
    add("--quick", action="store_true", help="tiny sizes and counts: a smoke run in seconds")
    args = parser.parse_args(argv)
    quick = args.quick
    sizes = args.sizes or ("4KiB,64KiB" if quick else DEFAULT_SIZES)
    concurrency = args.concurrency or ("1,2" if quick else DEFAULT_CONCURRENCY)
    try:
        args.sizes = [parse_size(s) for s in sizes.split(",")]
        args.concurrency = [int(c) for c in concurrency.split(",")]
        args.memory_size = parse_size(args.memory_size or ("8MiB" if quick else "1GiB"))
    except ValueError as exc:
        parser.error(f"--sizes, --concurrency, --memory-size: numbers (KiB/MiB/GiB allowed): {exc}")
    args.duration = args.duration if args.duration is not None else (1.0 if quick else 4.0)
    if quick and args.count is None:
        args.count = 6
    if args.settled_pushes is None:
        args.settled_pushes = 2 if quick else 8
    if not 0 <= args.settled_pushes <= MAX_SETTLED_PUSHES:
        parser.error(f"--settled-pushes must be in [0, {MAX_SETTLED_PUSHES}]")
    if not 1 <= args.rounds <= MAX_ROUNDS:
        parser.error(f"--rounds must be in [1, {MAX_ROUNDS}]")
    if not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be in (0, {MAX_DURATION:.0f}]")
    if args.count is not None and not 0 < args.count <= MAX_COUNT:
        parser.error(f"--count must be in [1, {MAX_COUNT}]")
    if any(size < 16 for size in args.sizes) or 0 < args.memory_size < 16:
        parser.error("sizes must be at least 16 bytes (every blob carries a unique 16-byte suffix)")
    if any(c < 1 or c > 64 for c in args.concurrency):
        parser.error("--concurrency values must be between 1 and 64")
    return args


def start_registries(stack: ExitStack, workers: int | None) -> dict[str, RegistryProcess]:
    """Start our server and distribution; both are stopped when `stack` closes."""
    extra = ["--workers", str(workers)] if workers else []
    ours = stack.enter_context(start_reference_server(extra_args=extra))
    theirs = stack.enter_context(start_distribution())
    return {OURS: ours, DISTRIBUTION: theirs}


PAGE_CACHE_WAIT = 3.0


def page_cache_figures(buffer: bytes, keep_page_cache: bool) -> dict[str, float]:
    """CPU to write 256 MiB into the page cache right after `settle` and `PAGE_CACHE_WAIT` s after one."""
    figures = {}
    for name, wait in (("just_after_settle", 0.0), ("seconds_later", PAGE_CACHE_WAIT)):
        settle(drop_page_cache=not keep_page_cache)
        time.sleep(wait)
        figures[name] = round(page_cache_write_seconds_per_256mib(tempfile.gettempdir(), buffer), 3)
    return figures


def charge(cell: CellResult, server_pid: int, before: CpuSnapshot) -> CellResult:
    """`cell` with the CPU seconds its server and this client spent since `before` (taken as it began)."""
    spent = cpu_snapshot(server_pid) - before
    cell.server_cpu_seconds, cell.client_cpu_seconds = spent.server, spent.client
    return cell


def run_rows(
    registries: dict[str, RegistryProcess], pool: BlobPool, args: argparse.Namespace
) -> tuple[list[Row], bool]:
    """Every (size, concurrency) row, `--rounds` times: push then pull on one registry, then the other.

    Each registry pulls the blobs it just pushed before the other one pushes (so a page-cache drop
    before the other's push never turns its pulls into disk reads). Returns the rows and whether the
    page cache was dropped before every push cell. Who goes first alternates from row to row and from
    round to round; the cells of all rounds are merged (all latencies, summed wall time), so noise from
    the shared machine is spread over both.
    """
    cells: dict[tuple[int, int, str, str], CellResult] = {}
    dropped: set[bool] = set()
    grid = list(itertools.product(args.sizes, args.concurrency))
    for round_number in range(args.rounds):
        for number, (size, concurrency) in enumerate(grid):
            first_ours = (number + round_number) % 2 == 0
            order = [OURS, DISTRIBUTION] if first_ours else [DISTRIBUTION, OURS]
            count = max(args.count or default_count(size), concurrency)
            repo = f"bench/s{format_size(size).lower()}-c{concurrency}"
            for name in order:
                plan = CellPlan(name, registries[name].url, repo, size, concurrency, count, args.duration)
                pid = registries[name].process.pid
                dropped.add(settle(drop_page_cache=not args.keep_page_cache))
                before = cpu_snapshot(pid)
                pushed, stored = run_push_cell(plan, pool)
                merge_into(cells, (size, concurrency, "push", name), charge(pushed, pid, before))
                settle()
                before = cpu_snapshot(pid)
                pulled = run_pull_cell(plan, stored)
                merge_into(cells, (size, concurrency, "pull", name), charge(pulled, pid, before))
                delete_blobs(plan.base, repo, stored)
            print(f"  done {format_size(size)} x{concurrency} (round {round_number + 1}/{args.rounds})",
                  file=sys.stderr, flush=True)
    rows = [
        Row(size, conc, op, cells[(size, conc, op, OURS)], cells[(size, conc, op, DISTRIBUTION)])
        for size, conc in grid
        for op in ("push", "pull")
    ]
    return rows, dropped == {True}


def run_memory(registries: dict[str, RegistryProcess], pool: BlobPool, size: int) -> dict[str, MemoryResult]:
    """Peak RSS around one `size` blob on each registry."""
    results = {}
    for name, registry in registries.items():
        settle()
        results[name] = measure_memory(name, registry.url, registry.process.pid, pool=pool, size=size)
    return results


def problems(rows: Sequence[Row], memory: dict[str, MemoryResult]) -> list[str]:
    """Every failed operation or unverified pull, as readable lines."""
    found = []
    for row in rows:
        for cell in (row.ours, row.distribution):
            if cell.failures:
                found.append(f"{cell.registry} {cell.op} {format_size(cell.size)} x{cell.concurrency}: "
                             f"{cell.failures} failed ({cell.first_error})")
            if cell.op == "pull" and cell.verified != cell.ops:
                unverified = cell.ops - cell.verified
                found.append(f"{cell.registry} pull {format_size(cell.size)}: {unverified} unverified")
    found.extend(f"{name} memory run: {res.error}" for name, res in memory.items() if not res.verified)
    return found


def scale_lines(sha256_before: float, sha256_after: float, page_cache: dict[str, dict[str, float]]) -> str:
    """What sha256 and a page-cache write of 256 MiB cost on the machine, before and after the cells."""
    first, last = page_cache["before_the_cells"], page_cache["after_the_cells"]
    return "\n".join([
        f"  for scale, sha256 of 256 MiB alone on this machine now (one thread, hot buffer): "
        f"{sha256_before:.3f} s before the cells, {sha256_after:.3f} s after",
        f"  and writing 256 MiB into the page cache, just after a settle / {PAGE_CACHE_WAIT:.0f} s later: "
        f"{first['just_after_settle']:.3f} / {first['seconds_later']:.3f} s before the cells, "
        f"{last['just_after_settle']:.3f} / {last['seconds_later']:.3f} s after",
        "  (every push pays both; on a VM whose host takes back free guest memory the page-cache "
        "figure can grow in the course of a run, for both registries)",
    ])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the tables; return the exit status."""
    args = parse_args(argv)
    began = time.time()
    load_before = os.getloadavg()[0]
    hash_buffer = os.urandom(1 << 20)
    sha256_before = sha256_seconds_per_256mib(hash_buffer)
    page_cache = {"before_the_cells": page_cache_figures(hash_buffer, args.keep_page_cache)}
    largest = max([*args.sizes, args.memory_size])
    pool = BlobPool(min(DEFAULT_POOL_SIZE, max(largest, 1 << 20)))
    with ExitStack() as stack:
        try:
            registries = start_registries(stack, args.workers)
        except RegistryStartError as exc:
            print(f"load.bench: cannot start the registries: {exc}", file=sys.stderr)
            return 2
        print(f"ours: {registries[OURS].url}  distribution: {registries[DISTRIBUTION].url}", file=sys.stderr)
        rows, cache_dropped = run_rows(registries, pool, args)
        page_cache["after_the_cells"] = page_cache_figures(hash_buffer, args.keep_page_cache)
        settled = bench_settled_cpu.measure(
            registries, pool, max(args.sizes), args.settled_pushes, drop_page_cache=not args.keep_page_cache)
        memory = run_memory(registries, pool, args.memory_size) if args.memory_size else {}

    targets = evaluate_targets(rows, memory, settled.target_figures(OURS, DISTRIBUTION))
    load_after = os.getloadavg()[0]
    sha256_after = sha256_seconds_per_256mib(hash_buffer)
    print(PUSH_NOTE)
    print(f"settings: duration {args.duration} s/cell, count {args.count or 'by size'}, "
          f"rounds {args.rounds}, our workers {args.workers or 'default'}, "
          f"page cache dropped before push cells: {'yes' if cache_dropped else 'no'}; "
          f"1-min load average {load_before:.2f} before, {load_after:.2f} after")
    print(render_table(rows))
    print()
    print(render_cpu(rows))
    push_cpu = push_cpu_per_256mib(rows)
    print()
    print("server CPU per 256 MiB pushed (push cells of the largest size, scaled; "
          "ratio = distribution / ours):")
    print(render_push_cpu(push_cpu))
    print(scale_lines(sha256_before, sha256_after, page_cache))
    if args.settled_pushes:
        print()
        print(f"server CPU per 256 MiB push, one {format_size(settled.size)} push at a time after a settle "
              "(the figure the CPU targets use; see load/bench_settled_cpu.py):")
        print(settled.render(OURS, DISTRIBUTION))
    if memory:
        print()
        print(f"server RSS (process tree) around one {format_size(args.memory_size)} push + verified pull:")
        print(render_memory(list(memory.values())))
    print()
    print("targets:")
    print(render_targets(targets))
    found = problems(rows, memory)
    found.extend(settled.failures())
    for line in found:
        print(f"FAILURE: {line}")
    if args.json:
        document = {
            "started": began,
            "seconds": round(time.time() - began, 2),
            "note": PUSH_NOTE,
            "load_average": {"before": load_before, "after": load_after},
            "settings": {
                "sizes": args.sizes, "concurrency": args.concurrency, "duration": args.duration,
                "count": args.count, "rounds": args.rounds, "workers": args.workers,
                "memory_size": args.memory_size, "page_cache_dropped": cache_dropped,
            },
            "rows": [row.as_json() for row in rows],
            "push_cpu_per_256mib": push_cpu,
            "settled_push_cpu_per_256mib": settled.as_json(OURS, DISTRIBUTION),
            "sha256_seconds_per_256mib": {"before": round(sha256_before, 3), "after": round(sha256_after, 3)},
            "page_cache_write_seconds_per_256mib": page_cache,
            "memory": {name: memory_json(result) for name, result in memory.items()},
            "targets": targets,
            "failures": found,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
