"""`python -m load.bench_rig`: the load rig's own efficiency, measured, the figures side by side in one run.

    python -m load.bench_rig [--size 32MiB] [--concurrency 4] [--seconds 8] [--head-users 20]
                             [--processes 1] [--rounds 3] [--target reference] [--json out.json] [--quick]

Against one registry started here on 127.0.0.1 (the bundled reference server, or distribution 2.8.2), the
cells run interleaved `--rounds` times and the tables show each cell's median round:

1. Locust vs curl: push and pull of `--size` blobs by one Locust process and by one `curl --parallel`
   process at the same concurrency, on the same server (the cells of `load.compare_clients`); MB/s of
   each and the Locust/curl ratio (goal >= 0.7x).
2. Small requests per second per Locust core: `BlobHead` (a FastHttpUser sending HEADs of one 4 KiB blob,
   `--head-users` users) for `--seconds`. The HTTP requests and the CPU seconds of each Locust worker
   process come from the same whole seconds of the run (the summary's `generator` block, sampled in the
   process: `load/generator_health.py`), so requests / CPU seconds is req/s per core of CPU actually used
   (goal >= 5,000). The registry's CPU per request (its process tree, from /proc) is printed next to it.
3. Replay schedule lag at 10x a recorded trace's rate is not measured here: trace replay (load/replay/)
   prints it itself, `python -m load.replay TRACE --speed 10`.

Every Locust cell says whether its process was generator-bound. In the HEAD cell that is the point (the
rig's ceiling is being measured); in the blob cells a bound Locust means the ratio is the rig's limit.
Client, registry and anything else running share this machine's CPUs: the load average is printed.
A benchmark that prints figures, never a test. Never imports locust (Locust runs as a subprocess).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from conformance.registries import (
    RegistryProcess,
    distribution_available,
    start_distribution,
    start_reference_server,
)
from load.bench_cpu import tree_cpu_seconds
from load.compare_clients import LOCUSTFILE, REPO_ROOT, Cell, Figure, measure, medians, table
from load.content import ContentPool
from load.options import format_size, parse_size

HEAD_GOAL = 5000.0
RATIO_GOAL = 0.7
REPLAY_NOTE = ("replay schedule lag at 10x: not measured here (trace replay, load/replay/, is another part; "
               "`python -m load.replay TRACE --speed 10` prints its lag)")


@dataclass
class HeadFigure:
    """One small-request cell: what the Locust workers sent, the CPU they used, and the registry's CPU."""

    target: str
    users: int
    processes: int
    requests: int
    failures: int
    wall_seconds: float
    cpu_seconds: float
    per_core: float
    requests_per_s: float
    cpu_utilisation: float
    generator_bound: bool
    server_cpu_ms_per_request: float


def worker_figures(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The generator figures of the processes that ran users (workers, or the local process)."""
    processes = (summary.get("generator") or {}).get("processes") or {}
    workers = [figures for name, figures in processes.items() if name.startswith("worker")]
    return workers or [figures for name, figures in processes.items() if name == "local"]


def head_figure(target: str, users: int, process_count: int, summary: dict[str, Any],
                server_cpu: float) -> HeadFigure:
    """A HeadFigure from a BlobHead run's summary and the registry's CPU seconds during the run."""
    workers = worker_figures(summary)
    if not workers:
        raise RuntimeError("the Locust summary has no generator figures (no whole second was sampled)")
    requests = sum(int(w["http_requests"]) for w in workers)
    cpu = sum(float(w["cpu_seconds"]) for w in workers)
    wall = max(float(w["wall_seconds"]) for w in workers)
    all_requests = int(summary["http"]["requests"]) or 1
    bound = bool((summary.get("generator") or {}).get("bound"))
    return HeadFigure(
        target, users, process_count, requests, int(summary["http"]["failures"]), round(wall, 3),
        round(cpu, 3), round(requests / cpu, 1) if cpu else 0.0, round(requests / wall, 1) if wall else 0.0,
        round(cpu / wall / len(workers), 3) if wall else 0.0, bound,
        round(server_cpu * 1000 / all_requests, 4),
    )


def run_head_cell(registry: RegistryProcess, target: str, args: argparse.Namespace, workdir: Path,
                  number: int) -> HeadFigure:
    """One headless BlobHead run against `registry`; its figures."""
    run_dir = workdir / f"head-{number}"
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
            "--host", registry.url, "-u", str(args.head_users), "-r", str(args.head_users),
            "-t", f"{args.seconds:g}s", "--run-dir", str(run_dir), "BlobHead"]
    if args.processes > 1:
        argv[5:5] = ["--processes", str(args.processes)]
    before = tree_cpu_seconds(registry.process.pid)
    completed = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True,
                               timeout=args.seconds + 120, check=False)
    server_cpu = tree_cpu_seconds(registry.process.pid) - before
    path = run_dir / "summary.json"
    if not path.is_file():
        raise RuntimeError(f"locust wrote no summary (exit {completed.returncode}):\n"
                           f"{completed.stderr[-3000:]}")
    return head_figure(target, args.head_users, args.processes, json.loads(path.read_text()), server_cpu)


def median_head(figures: list[HeadFigure]) -> HeadFigure:
    """The round with the median req/s per core (the lower of the two middle ones for an even count)."""
    return sorted(figures, key=lambda f: f.per_core)[(len(figures) - 1) // 2]


def head_table(figure: HeadFigure, rounds: list[HeadFigure]) -> str:
    """The small-request figures, the goal and what bounded the cell."""
    verdict = "meets" if figure.per_core >= HEAD_GOAL else "BELOW"
    bound = ("generator-bound: the rig's limit (what this cell measures)" if figure.generator_bound
             else "not generator-bound: the registry (or the machine) was the limit, so this is a lower "
                  "bound of the rig's rate per core")
    every = ", ".join(f"{f.per_core:.0f}" for f in rounds)
    return "\n".join([
        f"small requests: BlobHead (FastHttpUser, HEAD of a 4 KiB blob), {figure.users} users, "
        f"{figure.processes} Locust worker process(es), target {figure.target}",
        f"  HEADs in the sampled seconds: {figure.requests} ({figure.failures} failed in the whole run) "
        f"in {figure.wall_seconds:.1f} s = {figure.requests_per_s:.0f} req/s",
        f"  Locust CPU: {figure.cpu_seconds:.2f} s ({figure.cpu_utilisation:.0%} of a core per process)",
        f"  req/s per Locust core: {figure.per_core:.0f} ({verdict} the {HEAD_GOAL:.0f} goal; "
        f"rounds: {every})",
        f"  registry CPU per request: {figure.server_cpu_ms_per_request:.3f} ms",
        f"  {bound}",
    ])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options (`--quick`: a smoke run of a few seconds per cell)."""
    summary_line = (__doc__ or "").split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m load.bench_rig", description=summary_line)
    parser.add_argument("--size", type=parse_size, default=None, help="blob size (32MiB)")
    parser.add_argument("--concurrency", type=int, default=4, help="Locust users = curl parallel transfers")
    parser.add_argument("--seconds", type=float, default=None, help="Locust run time per cell (8)")
    parser.add_argument("--head-users", type=int, default=20, help="users of the small-request cell (20)")
    parser.add_argument("--processes", type=int, default=1, help="Locust worker processes of the HEAD cell")
    parser.add_argument("--rounds", type=int, default=None, help="repeat every cell; the median is shown (3)")
    parser.add_argument("--target", choices=("reference", "distribution"), default="reference")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--quick", action="store_true", help="2 MiB blobs, 3 s cells, 1 round: a smoke run")
    args = parser.parse_args(argv)
    args.size = args.size or parse_size("2MiB" if args.quick else "32MiB")
    args.seconds = args.seconds or (3.0 if args.quick else 8.0)
    args.rounds = args.rounds or (1 if args.quick else 3)
    if not 1 <= args.rounds <= 10 or not 0 < args.seconds <= 120 or not 1 <= args.concurrency <= 64:
        parser.error("--rounds 1..10, --seconds up to 120, --concurrency 1..64")
    if not 1 <= args.head_users <= 1000 or not 1 <= args.processes <= 16:
        parser.error("--head-users 1..1000, --processes 1..16")
    return args


def main(argv: list[str] | None = None) -> int:
    """Start the registry, run every cell `--rounds` times, print the tables."""
    args = parse_args(argv)
    if shutil.which("curl") is None:
        sys.stderr.write("curl is not installed (apt-get install curl)\n")
        return 2
    if args.target == "distribution" and not distribution_available():
        sys.stderr.write("docker-registry (distribution 2.8.2) is not installed\n")
        return 2

    def log(message: str) -> None:
        sys.stderr.write(message + "\n")

    load_before = os.getloadavg()[0]
    pool = ContentPool()
    figures: list[Figure] = []
    heads: list[HeadFigure] = []
    start = start_distribution if args.target == "distribution" else start_reference_server
    with start() as registry, tempfile.TemporaryDirectory(prefix="bench-rig-") as tmp:
        for number in range(args.rounds):
            for direction in ("pull", "push"):
                cell = Cell(registry.url, args.target, args.size, args.concurrency)
                figures += measure(cell, direction, args, Path(tmp), pool, log=log)
            log(f"{args.target}: locust BlobHead x{args.head_users} ...")
            heads.append(run_head_cell(registry, args.target, args, Path(tmp), number))
    blob_medians = medians(figures)
    head = median_head(heads)
    print(f"rig efficiency, target {args.target}: blobs {format_size(args.size)} at concurrency "
          f"{args.concurrency}, Locust cells {args.seconds:g} s, median of {args.rounds} round(s); "
          f"{os.cpu_count()} CPUs shared by client and registry, load average {load_before:.1f} before / "
          f"{os.getloadavg()[0]:.1f} after")
    print()
    print(table(blob_medians))
    print()
    print(head_table(head, heads))
    print()
    print(REPLAY_NOTE)
    if args.json:
        args.json.write_text(json.dumps({
            "blobs": {"medians": [asdict(f) for f in blob_medians], "rounds": [asdict(f) for f in figures]},
            "small_requests": {"median": asdict(head), "rounds": [asdict(f) for f in heads]},
            "goals": {"locust_curl_ratio": RATIO_GOAL, "head_per_core": HEAD_GOAL},
            "replay_lag": REPLAY_NOTE,
        }, indent=2))
    failed = sum(f.failures for f in figures) + sum(f.failures for f in heads)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
