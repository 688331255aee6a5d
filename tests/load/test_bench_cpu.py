"""`load.bench_cpu`: CPU seconds of a whole process tree from /proc, and of this process, per cell."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from load.bench_cpu import (
    cpu_snapshot,
    page_cache_write_seconds_per_256mib,
    sha256_seconds_per_256mib,
    tree_cpu_seconds,
)

BURN = 0.4
BURNER = f"""
import subprocess, sys, time

def burn():
    end = time.process_time() + {BURN}
    while time.process_time() < end:
        pass

if sys.argv[1:] == ["child"]:
    burn()
    print("burnt", flush=True)
else:
    child = subprocess.Popen([sys.executable, __file__, "child"], stdout=subprocess.PIPE, text=True)
    burn()
    assert child.stdout.readline().strip() == "burnt"
    print(child.pid, flush=True)
time.sleep(60)
"""


def test_tree_cpu_counts_the_root_and_its_live_descendants(tmp_path: Path) -> None:
    script = tmp_path / "burner.py"
    script.write_text(BURNER)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())  # both have burnt BURN seconds of CPU by now
        child_only = tree_cpu_seconds(child_pid)
        whole = tree_cpu_seconds(parent.pid)
        assert child_only >= BURN - 0.05
        assert whole >= child_only + BURN - 0.05
    finally:
        subprocess.run(["pkill", "-KILL", "-P", str(parent.pid)], check=False)
        parent.kill()
        parent.wait(10)


def test_a_vanished_process_counts_as_nothing() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(10)
    assert tree_cpu_seconds(gone.pid) == 0.0


def test_snapshots_subtract_to_what_was_spent_in_between() -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(30)"],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert sleeper.stdout is not None and sleeper.stdout.readline().strip() == "up"  # started up
        before = cpu_snapshot(sleeper.pid)
        total = 0
        for number in range(3_000_000):  # this (client) process burns CPU; the sleeping "server" does not
            total += number
        spent = cpu_snapshot(sleeper.pid) - before
        assert total > 0
        assert spent.client > 0.0
        assert 0.0 <= spent.server <= 0.02
    finally:
        sleeper.kill()
        sleeper.wait(10)


def test_sha256_floor_is_the_thread_time_of_hashing_256_mib_scaled() -> None:
    buffer = os.urandom(1 << 20)
    began = time.thread_time()
    hasher = hashlib.sha256()
    for _ in range(64):
        hasher.update(buffer)
    direct = (time.thread_time() - began) * 4  # 64 MiB hashed, scaled to 256 MiB
    measured = sha256_seconds_per_256mib(buffer)
    assert measured > 0
    assert 0.3 * direct < measured < 3 * direct  # the same work, give or take machine noise


def test_page_cache_write_figure_leaves_no_file_behind(tmp_path: Path) -> None:
    measured = page_cache_write_seconds_per_256mib(str(tmp_path), os.urandom(1 << 20))
    assert measured > 0
    assert list(tmp_path.iterdir()) == []
