"""Offline garbage collection: delete content files that no repository links any more.

``python -m reference_server gc --data-dir DIR [--dry-run]``. Run it while no server uses DIR: a blob is
kept when any repository has a layer link or a manifest revision link for its digest; everything else
in blobs/ is removed (or only listed with ``--dry-run``). Stale files in tmp/ are removed too.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def linked_digests(data_dir: Path) -> set[tuple[str, str]]:
    """(algorithm, hex) of every digest some repository links as a blob or a manifest."""
    linked: set[tuple[str, str]] = set()
    for directory, subdirs, files in os.walk(data_dir / "repositories"):
        parts = Path(directory).parts
        if len(parts) >= 2 and (parts[-2] == "_layers" or parts[-2] == "revisions"):
            linked.update((parts[-1], name) for name in files)
        subdirs[:] = [s for s in subdirs if s not in {"_referrers", "tags"}]
    return linked


def collect(data_dir: Path, dry_run: bool) -> tuple[int, int]:
    """Delete (or list) unreferenced content; return (files, bytes) affected."""
    linked = linked_digests(data_dir)
    count = size = 0
    blobs = data_dir / "blobs"
    for algorithm_dir in sorted(p for p in blobs.iterdir() if p.is_dir()) if blobs.is_dir() else []:
        for path in sorted(algorithm_dir.glob("*/*")):
            if (algorithm_dir.name, path.name) in linked:
                continue
            count += 1
            size += path.stat().st_size
            print(f"{'would delete' if dry_run else 'deleted'} {algorithm_dir.name}:{path.name}")
            if not dry_run:
                path.unlink()
    tmp = data_dir / "tmp"
    if not dry_run and tmp.is_dir():
        for stale in tmp.iterdir():
            stale.unlink()
    return count, size


def main(argv: list[str]) -> int:
    """Entry point of the ``gc`` sub-command."""
    parser = argparse.ArgumentParser(prog="python -m reference_server gc")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    args = parser.parse_args(argv)
    if not (args.data_dir / "blobs").is_dir():
        print(f"error: {args.data_dir} is not a reference_server data directory (no blobs/)")
        return 2
    count, size = collect(args.data_dir, args.dry_run)
    print(f"{'would free' if args.dry_run else 'freed'} {count} blobs, {size} bytes")
    return 0
