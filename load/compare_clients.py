"""Side-by-side throughput: one Locust process vs curl, the bundled reference server vs distribution 2.8.2.

    python -m load.compare_clients [--size 32MiB] [--concurrency 4] [--seconds 8] [--json out.json]

For each registry (the bundled reference server and, if installed, Debian's distribution 2.8.2, both
started here on 127.0.0.1 with temporary storage) it measures, with the same blob size and concurrency:

- Locust pull: `BlobPull` (full GETs only, `--tags blob-pull`, no digest verification: curl does none
  either), steady MB/s down from the run's summary (whole seconds between ramp-up and stop);
- Locust push: `BlobPushMonolithic` (POST + one PUT per blob), steady MB/s up from the summary;
- curl pull: one `curl --parallel` process fetching the same blob repeatedly (`-o /dev/null`);
- curl push: upload sessions opened with POST first, then one `curl --parallel` process PUTting
  distinct pre-written blob files (`-T`), every answer checked for 201.

The Locust rows also say whether the Locust process was generator-bound (its summary's `generator` block:
main thread busy most of the run, `load/generator_health.py`) and its CPU use.
curl MB/s are bytes over the wall time of the curl process (connection set-up included). The cells run
interleaved, `--rounds` times, and the table shows each cell's median. Everything runs on this machine,
so client and registry share the CPUs (and whatever else runs): read the figures as relative.
Never imports locust (Locust runs as a subprocess).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from conformance.registries import (
    RegistryProcess,
    distribution_available,
    start_distribution,
    start_reference_server,
)
from load.content import ContentPool
from load.metrics import mb_per_s
from load.options import format_size, parse_size

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = REPO_ROOT / "load" / "locustfile.py"


@dataclass(frozen=True)
class Cell:
    """What every measurement of one registry shares: where, how big, how many at once."""

    url: str
    target: str
    size: int
    users: int


@dataclass
class Figure:
    """One measured cell."""

    target: str
    direction: str
    client: str
    mb_s: float
    bytes: int
    seconds: float
    failures: int
    generator_bound: bool | None = None
    generator_cpu: float | None = None


def generator_of(summary: dict[str, Any]) -> tuple[bool | None, float | None]:
    """(bound, busiest process's CPU utilisation) from a run summary's `generator` block."""
    block = summary.get("generator") or {}
    processes = block.get("processes") or {}
    if not processes:
        return None, None
    return bool(block.get("bound")), max(float(p["cpu_utilisation"]) for p in processes.values())


def locust_figure(cell: Cell, direction: str, seconds: float, workdir: Path) -> Figure:
    """Run one Locust process headless and read MB/s from its summary."""
    scenario = "BlobPull" if direction == "pull" else "BlobPushMonolithic"
    url, target, size, users = cell.url, cell.target, cell.size, cell.users
    run_dir = workdir / f"locust-{target}-{direction}"
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
            "--host", url, "-u", str(users), "-r", str(users), "-t", f"{seconds:g}s",
            "--blob-sizes", f"{size}B:1", "--verify-share", "0", "--run-dir", str(run_dir), scenario]
    if direction == "pull":
        argv += ["--tags", "blob-pull"]
    completed = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True,
                               timeout=seconds + 120, check=False)
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        raise RuntimeError(f"locust wrote no summary (exit {completed.returncode}):\n"
                           f"{completed.stderr[-3000:]}")
    summary = json.loads(summary_path.read_text())
    figures = summary["scenarios"].get(scenario, {})
    key = "down" if direction == "pull" else "up"
    bound, cpu = generator_of(summary)
    return Figure(target, direction, "locust (1 process)", float(figures.get(f"mb_s_{key}_steady", 0.0)),
                  int(figures.get(f"bytes_{key}", 0)), float(summary["run"]["duration_s"]),
                  int(summary["http"]["failures"]), bound, cpu)


def push_with_httpx(client: httpx.Client, repo: str, data: bytes, digest: str) -> None:
    """Monolithic push of one blob (to seed the pull)."""
    response = client.post(f"/v2/{repo}/blobs/uploads/")
    response.raise_for_status()
    location = response.headers["Location"]
    separator = "&" if "?" in location else "?"
    client.put(f"{location}{separator}digest={digest}", content=data,
               headers={"Content-Type": "application/octet-stream"}).raise_for_status()


def run_curl(args: list[str], timeout: float) -> tuple[list[str], float]:
    """Run one curl process; its `-w` lines and wall time."""
    started = time.perf_counter()
    completed = subprocess.run(["curl", "--silent", "--show-error", "--max-time", "120", *args],
                               capture_output=True, text=True, timeout=timeout, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"curl failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return completed.stdout.split(), elapsed


def curl_pull(cell: Cell, count: int, pool: ContentPool) -> Figure:
    """`count` GETs of one blob, `users` at a time, in one curl process."""
    url, target, size, users = cell.url, cell.target, cell.size, cell.users
    blob = pool.new_blob(size)
    with httpx.Client(base_url=url, timeout=120.0) as client:
        push_with_httpx(client, "compare/pull", blob.to_bytes(), blob.digest)
    blob_url = f"{url}/v2/compare/pull/blobs/{blob.digest}"
    args = ["--parallel", "--parallel-max", str(users), "-w", "%{http_code}:%{size_download}\\n"]
    for _ in range(count):
        args += ["-o", "/dev/null", blob_url]
    lines, elapsed = run_curl(args, timeout=600)
    ok = [int(line.split(":")[1]) for line in lines if line.startswith("200:")]
    failures = len(lines) - len(ok) + sum(1 for n in ok if n != size)
    total = sum(ok)
    return Figure(target, "pull", "curl --parallel", round(mb_per_s(total, elapsed), 3), total,
                  round(elapsed, 3), failures)


def curl_push(cell: Cell, count: int, pool: ContentPool) -> Figure:
    """`count` monolithic PUTs of distinct blob files, `users` at a time, in one curl process."""
    url, target, size, users = cell.url, cell.target, cell.size, cell.users
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    files_dir = Path(tempfile.mkdtemp(prefix="compare-push-", dir=shm))
    try:
        # no "Expect: 100-continue" (curl adds it above 1 MiB and may wait up to a second for the 100);
        # Locust's requests client does not send it either
        args = ["--parallel", "--parallel-max", str(users), "-w", "%{http_code}:%{size_upload}\\n",
                "-H", "Content-Type: application/octet-stream", "-H", "Expect:"]
        with httpx.Client(base_url=url, timeout=60.0) as client:
            for index in range(count):
                blob = pool.new_blob(size)
                path = files_dir / f"blob-{index}"
                with path.open("wb") as handle:
                    for part in blob.chunks():
                        handle.write(part)
                response = client.post("/v2/compare/push/blobs/uploads/")
                response.raise_for_status()
                location = str(httpx.URL(url).join(response.headers["Location"]))
                separator = "&" if "?" in location else "?"
                args += ["-X", "PUT", "-T", str(path), f"{location}{separator}digest={blob.digest}"]
        lines, elapsed = run_curl(args, timeout=600)
    finally:
        shutil.rmtree(files_dir, ignore_errors=True)
    ok = [int(line.split(":")[1]) for line in lines if line.startswith("201:")]
    total = sum(ok)
    return Figure(target, "push", "curl --parallel", round(mb_per_s(total, elapsed), 3), total,
                  round(elapsed, 3), len(lines) - len(ok))


def measure(cell: Cell, direction: str, args: argparse.Namespace, workdir: Path, pool: ContentPool,
            *, log: Callable[[str], None]) -> list[Figure]:
    """Locust, then curl moving about as many blobs as Locust did, for one registry and direction."""
    log(f"{cell.target}: locust {direction} ...")
    locust = locust_figure(cell, direction, args.seconds, workdir)
    count = max(cell.users * 2, min(400, round(locust.mb_s * 1e6 * args.seconds / cell.size)))
    log(f"{cell.target}: curl {direction} x{count} ...")
    curl = (curl_pull if direction == "pull" else curl_push)(cell, count, pool)
    return [locust, curl]


def medians(figures: list[Figure]) -> list[Figure]:
    """One figure per (target, direction, client): the round with the median MB/s."""
    groups: dict[tuple[str, str, str], list[Figure]] = {}
    for figure in figures:
        groups.setdefault((figure.target, figure.direction, figure.client), []).append(figure)
    return [sorted(group, key=lambda f: f.mb_s)[len(group) // 2] for group in groups.values()]


def table(figures: list[Figure]) -> str:
    """The comparison table: per target and direction, Locust vs curl, and reference vs distribution."""
    lines = [f"{'target':<14}{'direction':<10}{'client':<22}{'MB/s':>10}{'MB moved':>11}{'seconds':>9}"
             f"{'failures':>9}  generator"]
    for f in figures:
        generator = "" if f.generator_bound is None else (
            f"{'BOUND' if f.generator_bound else 'ok'} (CPU {f.generator_cpu or 0:.0%})")
        lines.append(f"{f.target:<14}{f.direction:<10}{f.client:<22}{f.mb_s:>10.1f}{f.bytes / 1e6:>11.1f}"
                     f"{f.seconds:>9.1f}{f.failures:>9}  {generator}")
    lines.append("")
    by = {(f.target, f.direction, f.client.split()[0]): f.mb_s for f in figures}
    for target in sorted({f.target for f in figures}):
        for direction in ("pull", "push"):
            locust, curl = by.get((target, direction, "locust")), by.get((target, direction, "curl"))
            if locust is not None and curl:
                verdict = "meets" if locust / curl >= 0.7 else "BELOW"
                ratio = f"{locust / curl:.2f}x"
                bound = any(f.generator_bound for f in figures
                            if (f.target, f.direction, f.client.split()[0]) == (target, direction, "locust"))
                note = "; Locust was generator-bound: the rig's limit" if bound else ""
                lines.append(f"locust/curl {target} {direction}: {ratio} ({verdict} the 0.7x target{note})")
    for direction in ("pull", "push"):
        for client in ("locust", "curl"):
            ref, dist = by.get(("reference", direction, client)), by.get(("distribution", direction, client))
            if ref is not None and dist:
                lines.append(f"reference/distribution {direction} ({client}): {ref / dist:.2f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the registries, measure, print the table."""
    summary_line = (__doc__ or "").split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m load.compare_clients", description=summary_line)
    parser.add_argument("--size", type=parse_size, default=parse_size("32MiB"), help="blob size (32MiB)")
    parser.add_argument("--concurrency", type=int, default=4, help="Locust users = curl parallel transfers")
    parser.add_argument("--seconds", type=float, default=8.0, help="Locust run time per cell")
    parser.add_argument("--rounds", type=int, default=2, help="repeat every cell; the median is shown")
    parser.add_argument("--targets", default="reference,distribution", help="reference,distribution")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if shutil.which("curl") is None:
        sys.stderr.write("curl is not installed (apt-get install curl)\n")
        return 2
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if "distribution" in targets and not distribution_available():
        sys.stderr.write("docker-registry (distribution) is missing: measuring the reference server only\n")
        targets.remove("distribution")

    def log(message: str) -> None:
        sys.stderr.write(message + "\n")

    load_before = os.getloadavg()[0]
    pool = ContentPool()
    figures: list[Figure] = []
    registries: dict[str, RegistryProcess] = {}
    try:
        for target in targets:
            start = start_distribution if target == "distribution" else start_reference_server
            registries[target] = start()
        with tempfile.TemporaryDirectory(prefix="compare-clients-") as tmp:
            for _ in range(args.rounds):
                for direction in ("pull", "push"):
                    for target, registry in registries.items():
                        cell = Cell(registry.url, target, args.size, args.concurrency)
                        figures += measure(cell, direction, args, Path(tmp), pool, log=log)
    finally:
        for registry in registries.values():
            registry.stop()
    rounds = figures
    figures = medians(rounds)
    print(f"blob size {format_size(args.size)}, concurrency {args.concurrency}, "
          f"Locust run {args.seconds:g} s, median of {args.rounds} rounds, "
          f"{os.cpu_count()} CPUs shared by client and registry, "
          f"load average {load_before:.1f} before / {os.getloadavg()[0]:.1f} after")
    print(table(figures))
    if args.json:
        args.json.write_text(json.dumps({"medians": [asdict(f) for f in figures],
                                         "rounds": [asdict(f) for f in rounds]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
