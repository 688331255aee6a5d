"""Smoke test of `python -m load.bench --quick` plus the benchmark's payload and statistics helpers.

These assert behaviour (both registries started, every cell ran, every pull verified, the table and
JSON carry every figure), never speed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from load.bench_client import CellResult
from load.bench_cpu import DROP_CACHES, settle
from load.bench_payload import SLICE, BlobPool
from load.bench_report import (
    Row,
    evaluate_targets,
    format_size,
    parse_size,
    percentile,
    push_cpu_per_256mib,
    render_push_cpu,
)
from tests.support.clients import require_tools

REPO_ROOT = Path(__file__).resolve().parents[2]
CELL_KEYS = {
    "ops", "failures", "verified", "seconds", "mb_per_s", "ops_per_s", "p50_ms", "p95_ms", "first_error",
    "server_cpu_ms_per_op", "client_cpu_ms_per_op",
}


def test_quick_benchmark_runs_both_registries_and_verifies_every_pull(tmp_path: Path) -> None:
    require_tools("docker-registry")
    figures = tmp_path / "bench.json"
    completed = subprocess.run(
        [sys.executable, "-m", "load.bench", "--quick", "--sizes", "4KiB,20000", "--concurrency", "1,3",
         "--count", "4", "--duration", "2", "--rounds", "2", "--memory-size", "3MiB", "--json", str(figures)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=150, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    output = completed.stdout

    throughput, _, cpu = output.partition("CPU ms per operation")
    table_lines = [line for line in throughput.splitlines() if " push |" in line or " pull |" in line]
    assert len(table_lines) == 2 * 2 * 2
    assert all(line.rstrip().endswith("x") for line in table_lines), table_lines
    assert "ours/dist" in output and "p95 ms" in output
    assert "server RSS" in output and "targets:" in output
    cpu_lines = [line for line in cpu.splitlines() if " push |" in line or " pull |" in line]
    assert len(cpu_lines) == len(table_lines)
    assert "FAILURE" not in output
    document = json.loads(figures.read_text())
    assert document["settings"]["rounds"] == 2
    # the clean page cache is dropped before every push cell exactly where the machine allows it
    can_drop = os.access(DROP_CACHES, os.W_OK)
    assert document["settings"]["page_cache_dropped"] is can_drop
    assert f"page cache dropped before push cells: {'yes' if can_drop else 'no'}" in output
    rows = document["rows"]
    assert [(r["size"], r["concurrency"], r["op"]) for r in rows] == [
        (size, concurrency, op) for size in (4096, 20000) for concurrency in (1, 3) for op in ("push", "pull")
    ]
    for row in rows:
        for registry in ("ours", "distribution"):
            cell = row[registry]
            assert set(cell) == CELL_KEYS
            assert cell["failures"] == 0, cell["first_error"]
            # two rounds merged: each round runs at least one operation per thread and at most --count
            assert cell["ops"] >= 2 * row["concurrency"]
            assert cell["ops"] <= 2 * max(4, row["concurrency"])
            assert cell["mb_per_s"] > 0 and cell["ops_per_s"] > 0
            assert 0 < cell["p50_ms"] <= cell["p95_ms"]
            assert cell["server_cpu_ms_per_op"] >= 0 and cell["client_cpu_ms_per_op"] >= 0
            if row["op"] == "pull":
                assert cell["verified"] == cell["ops"]
        expected_ratio = row["ours"]["ops_per_s"] / row["distribution"]["ops_per_s"]
        assert row["ratio"] == pytest.approx(expected_ratio, abs=0.01)

    check_push_cpu_figures(output, document)
    check_settled_push_figures(output, document)

    memory = document["memory"]
    assert set(memory) == {"ours", "distribution"}
    for result in memory.values():
        assert result["verified"] is True
        assert result["blob_size"] == 3 << 20
        assert result["before_mib"] > 0 and result["during_mib"] > 0 and result["after_mib"] > 0
    assert {target["target"].split()[0] for target in document["targets"]} >= {"20000B", "4KiB", "server"}
    assert document["failures"] == []


def check_push_cpu_figures(output: str, document: dict[str, Any]) -> None:
    """The quick run's 'server CPU per 256 MiB push' lines and JSON agree with its push cells."""
    cpu_per_push = [line for line in output.splitlines() if "server CPU per 256 MiB push (" in line]
    assert [line.split("concurrency ")[1].split(")")[0] for line in cpu_per_push] == ["1", "3"]
    assert all("20000B blobs" in line and ", ratio " in line for line in cpu_per_push), cpu_per_push
    assert "sha256 of 256 MiB alone on this machine now" in output
    pushes = {r["concurrency"]: r for r in document["rows"] if r["op"] == "push" and r["size"] == 20000}
    scaled = document["push_cpu_per_256mib"]
    assert [entry["concurrency"] for entry in scaled] == [1, 3]
    for entry in scaled:
        for registry in ("ours", "distribution"):
            per_op = pushes[entry["concurrency"]][registry]["server_cpu_ms_per_op"] / 1000
            assert entry[registry] == pytest.approx(per_op * (256 << 20) / 20000, rel=0.02, abs=0.002)
        if entry["ours"]:
            assert entry["ratio"] == pytest.approx(entry["distribution"] / entry["ours"], rel=0.02, abs=0.01)
    assert set(document["sha256_seconds_per_256mib"]) == {"before", "after"}
    assert all(seconds > 0 for seconds in document["sha256_seconds_per_256mib"].values())
    assert "writing 256 MiB into the page cache" in output
    page_cache = document["page_cache_write_seconds_per_256mib"]
    assert set(page_cache) == {"before_the_cells", "after_the_cells"}
    for figures in page_cache.values():
        assert set(figures) == {"just_after_settle", "seconds_later"}
        assert all(seconds > 0 for seconds in figures.values())


def check_settled_push_figures(output: str, document: dict[str, Any]) -> None:
    """The quick run's settled pushes: two per registry of the largest size, user + system per push."""
    assert "one 20000B push at a time after a settle" in output
    settled = document["settled_push_cpu_per_256mib"]
    assert settled["pushes"] == 2 and settled["size"] == 20000
    assert settled["page_cache_dropped"] is os.access(DROP_CACHES, os.W_OK)
    for registry in ("ours", "distribution"):
        figures = settled[registry]
        assert figures["failures"] == []
        assert figures["pushes"] == 2 == len(figures["user"]) == len(figures["system"])
        for total, user, system in zip(figures["seconds"], figures["user"], figures["system"], strict=True):
            assert total == pytest.approx(user + system, abs=0.002)
        assert figures["median"] == pytest.approx(sum(figures["seconds"]) / 2, abs=0.002)
        assert f"  {registry}: median " in output
    targets = [t["target"] for t in document["targets"]]
    if settled["ours"]["median"]:
        assert "server CPU per 256 MiB (settled pushes, median) <= 0.33 s" in targets
        ratio = settled["distribution"]["median"] / settled["ours"]["median"]
        assert settled["ratio"] == pytest.approx(ratio, rel=0.02, abs=0.01)


@pytest.mark.parametrize("arguments, complaint", [
    (["--duration", "100000"], "--duration"),
    (["--count", "0"], "--count"),
    (["--sizes", "4KiB,lots"], "--sizes"),
    (["--sizes", "8"], "at least 16 bytes"),
    (["--concurrency", "1,500"], "--concurrency"),
    (["--settled-pushes", "-1"], "--settled-pushes"),
    (["--settled-pushes", "1000"], "--settled-pushes"),
])
def test_bench_refuses_bad_or_unbounded_settings(arguments: list[str], complaint: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "load.bench", *arguments],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert completed.returncode == 2
    assert complaint in completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize("size", [1, 15, 16, 17, 4096, SLICE - 1, SLICE, SLICE + 16, 3 * SLICE + 5])
def test_payload_slices_match_their_digest_and_size(size: int) -> None:
    pool = BlobPool(pool_size=2 * SLICE)
    first, second = pool.new_payload(size), pool.new_payload(size)
    for payload in (first, second):
        pieces = list(pool.slices(payload))
        body = b"".join(pieces)
        assert len(body) == size
        assert "sha256:" + hashlib.sha256(body).hexdigest() == payload.digest
        assert all(len(piece) <= SLICE for piece in pieces)
    if size >= 8:  # the suffix starts with an 8-byte counter
        assert first.digest != second.digest


def test_sizes_and_percentiles() -> None:
    assert parse_size("4KiB") == 4096
    assert parse_size("256MiB") == 256 << 20
    assert parse_size("1GiB") == 1 << 30
    assert parse_size("20000") == 20000
    assert parse_size("2M") == 2 << 20
    assert [format_size(s) for s in (4096, 1 << 20, 1 << 30, 20000)] == ["4KiB", "1MiB", "1GiB", "20000B"]
    assert percentile([], 0.5) == 0.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([float(i) for i in range(1, 101)], 0.95) == 95.0


def test_settle_drops_the_page_cache_only_when_asked_and_allowed() -> None:
    assert settle(drop_page_cache=False) is False
    assert settle(drop_page_cache=True) is os.access(DROP_CACHES, os.W_OK)


def _push_cell(registry: str, size: int, concurrency: int, ops: int, server_cpu: float) -> CellResult:
    cell = CellResult(registry, "push", size, concurrency, latencies=[0.5] * ops, wall_seconds=ops * 0.5)
    cell.server_cpu_seconds = server_cpu
    return cell


def test_push_cpu_is_scaled_to_256_mib_for_the_largest_size_only() -> None:
    mib = 1 << 20
    rows = [
        Row(mib, 1, "push", _push_cell("ours", mib, 1, 10, 0.01),
            _push_cell("distribution", mib, 1, 10, 0.5)),
        Row(64 * mib, 1, "push", _push_cell("ours", 64 * mib, 1, 4, 0.3),
            _push_cell("distribution", 64 * mib, 1, 4, 1.0)),
        Row(64 * mib, 8, "push", _push_cell("ours", 64 * mib, 8, 8, 0.8),
            _push_cell("distribution", 64 * mib, 8, 8, 2.0)),
    ]
    entries = push_cpu_per_256mib(rows)
    # 0.3 s for 4 x 64 MiB = 0.3 s per 256 MiB; 0.8 s for 8 x 64 MiB = 0.4 s per 256 MiB
    assert entries == [
        {"size": 64 * mib, "concurrency": 1, "ours": 0.3, "distribution": 1.0, "ratio": 3.33},
        {"size": 64 * mib, "concurrency": 8, "ours": 0.4, "distribution": 1.0, "ratio": 2.5},
    ]
    text = render_push_cpu(entries)
    assert "server CPU per 256 MiB push (64MiB blobs, concurrency 8): ours 0.400 s, distribution 1.000 s, " \
           "ratio 2.50x less" in text
    targets = {t["target"]: t for t in evaluate_targets(rows, {})}
    assert targets["server CPU per 256 MiB (64MiB push cells) <= 0.33 s"] == {
        "target": "server CPU per 256 MiB (64MiB push cells) <= 0.33 s", "measured": 0.4, "met": False}
    ratio_target = "server CPU per 256 MiB (64MiB push cells) >= 3x less than distribution"
    assert targets[ratio_target]["measured"] == 2.5
    # with settled pushes measured, the CPU targets are judged on them instead of on the cells
    settled = {t["target"]: t for t in evaluate_targets(rows, {}, (0.2614, 3.4))}
    assert not any("push cells" in str(name) for name in settled)
    assert settled["server CPU per 256 MiB (settled pushes, median) <= 0.33 s"] == {
        "target": "server CPU per 256 MiB (settled pushes, median) <= 0.33 s", "measured": 0.261, "met": True}
    assert settled["server CPU per 256 MiB (settled pushes, median) >= 3x less than distribution"] == {
        "target": "server CPU per 256 MiB (settled pushes, median) >= 3x less than distribution",
        "measured": 3.4, "met": True}
    unmet = {t["target"]: t["met"] for t in evaluate_targets(rows, {}, (0.35, 2.9))}
    assert unmet["server CPU per 256 MiB (settled pushes, median) <= 0.33 s"] is False
    assert unmet["server CPU per 256 MiB (settled pushes, median) >= 3x less than distribution"] is False
