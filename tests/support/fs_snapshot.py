"""File-tree snapshots: prove a server wrote nothing outside its data directory.

A test puts the data directory deep inside a sandbox directory together with canary files, takes a
snapshot of the sandbox minus the data directory (and the server's log), lets the server handle
hostile requests, then compares: any file that appeared, vanished or changed outside the data
directory is reported by path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    """What a snapshot records per path: kind, size and modification time in nanoseconds."""

    kind: str
    size: int
    mtime_ns: int


def snapshot(root: Path, exclude: tuple[Path, ...] = ()) -> dict[str, Entry]:
    """Every path under `root` (relative), except those under an `exclude` path, with its metadata."""
    excluded = {path.resolve() for path in exclude}
    found: dict[str, Entry] = {}
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(directory)
        dirnames[:] = [d for d in dirnames if (base / d).resolve() not in excluded]
        for name in [*dirnames, *filenames]:
            path = base / name
            if path.resolve() in excluded:
                continue
            stat = path.lstat()
            kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
            size = stat.st_size if kind == "file" else 0
            found[str(path.relative_to(root))] = Entry(kind, size, stat.st_mtime_ns)
    return found


def differences(before: dict[str, Entry], after: dict[str, Entry]) -> list[str]:
    """Human-readable changes between two snapshots (empty when equal)."""
    changes = [f"appeared: {path}" for path in sorted(after.keys() - before.keys())]
    changes += [f"vanished: {path}" for path in sorted(before.keys() - after.keys())]
    changes += [
        f"changed: {path}" for path in sorted(before.keys() & after.keys())
        if before[path] != after[path] and before[path].kind == "file"
    ]
    return changes
