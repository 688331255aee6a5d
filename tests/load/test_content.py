"""The content pool: blobs are unique, digests match their bytes, windows and bodies stream correctly."""

from __future__ import annotations

import hashlib
import zlib

from load.content import SUFFIX_LEN, ContentPool, MiB


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_blob_digest_matches_bytes_and_each_blob_is_new() -> None:
    pool = ContentPool(2 * MiB)
    for size in (0, 1, 31, 32, 33, 1000, MiB, 5 * MiB + 7):  # 5 MiB wraps around the 2 MiB pool
        first, second = pool.new_blob(size), pool.new_blob(size)
        assert first.size == size
        assert len(first.to_bytes()) == size
        assert first.digest == sha256(first.to_bytes())
        if size:
            assert first.digest != second.digest


def test_non_unique_blobs_are_the_same_in_every_process() -> None:
    one, two = ContentPool(MiB, seed=5), ContentPool(MiB, seed=5)
    first = one.new_blob(300_000, unique=False, slot=2).digest
    assert first == two.new_blob(300_000, unique=False, slot=2).digest
    assert first != one.new_blob(300_000, unique=False, slot=3).digest


def test_windows_and_body_length_and_counting() -> None:
    pool = ContentPool(MiB)
    blob = pool.new_blob(3 * MiB + 5)
    data = blob.to_bytes()
    for start, end in ((0, 10), (3 * MiB, 3 * MiB + 5), (3 * MiB - 3, 3 * MiB + 2), (MiB - 1, 2 * MiB + 1)):
        assert b"".join(blob.chunks(start, end)) == data[start:end]
    counted: list[int] = []
    body = blob.body(100, 2 * MiB, on_chunk=counted.append)
    assert len(body) == 2 * MiB - 100
    assert b"".join(body) == data[100 : 2 * MiB]
    assert sum(counted) == len(body)
    assert blob.to_bytes()[-SUFFIX_LEN:] == blob.suffix


def test_content_is_incompressible() -> None:
    data = ContentPool(MiB).new_blob(MiB).to_bytes()
    assert len(zlib.compress(data, 6)) > 0.99 * len(data)


def test_hashing_goes_through_run_blocking_once_per_span() -> None:
    pool = ContentPool(MiB)
    calls: list[int] = []

    def run(fn):  # type: ignore[no-untyped-def]
        calls.append(1)
        return fn()

    for _ in range(3):
        pool.new_blob(500_000, slot=1, run_blocking=run)
    assert len(calls) == 1
