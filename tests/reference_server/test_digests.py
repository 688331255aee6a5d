"""`reference_server.digests`: the hashing writer and `pump` (pipelined helpers for large bodies).

Bodies are fed as real files on disk; the stored bytes and digests are compared with hashlib's.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest

from reference_server.digests import IOV_MAX, PIPELINE_BATCH, HashingWriter, hash_file, new_hasher, pump


async def _chunks(pieces: Iterable[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


def _pump_into(path: Path, pieces: list[bytes]) -> HashingWriter:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        writer = HashingWriter(fd, new_hasher("sha256"))
        asyncio.run(pump(_chunks(pieces), writer))
        return writer
    finally:
        os.close(fd)


@pytest.mark.parametrize("piece_sizes", [
    [10, 0, 4096],                                   # small body: stays in the loop thread
    [PIPELINE_BATCH],                                # exactly one batch
    [300_001] * 30,                                  # many batches of odd-sized pieces, with a tail
    [1] * (IOV_MAX + 5) + [PIPELINE_BATCH],          # one batch of more pieces than one writev takes
])
def test_pump_stores_and_hashes_every_byte_in_order(tmp_path: Path, piece_sizes: list[int]) -> None:
    pieces = [os.urandom(size) for size in piece_sizes]
    body = b"".join(pieces)
    target = tmp_path / "blob"
    writer = _pump_into(target, pieces)
    assert writer.written == len(body)
    assert target.read_bytes() == body
    assert writer.hasher.hexdigest() == hashlib.sha256(body).hexdigest()
    assert hash_file(target, "sha256").hexdigest() == hashlib.sha256(body).hexdigest()


def test_pump_reports_a_failed_write_of_a_large_body(tmp_path: Path) -> None:
    read_only = os.open(tmp_path / "ro", os.O_RDONLY | os.O_CREAT)
    try:
        writer = HashingWriter(read_only, new_hasher("sha256"))
        with pytest.raises(OSError):
            asyncio.run(pump(_chunks([os.urandom(PIPELINE_BATCH)] * 3), writer))
        assert writer.written == 0
    finally:
        os.close(read_only)


def test_write_many_appends_after_existing_content(tmp_path: Path) -> None:
    target = tmp_path / "blob"
    target.write_bytes(b"head")
    fd = os.open(target, os.O_WRONLY | os.O_APPEND)
    try:
        writer = HashingWriter(fd, new_hasher("sha256"))
        writer.write_many([b"a", b"bc", b""])
    finally:
        os.close(fd)
    assert target.read_bytes() == b"headabc"
    assert writer.written == 3
    assert writer.hasher.hexdigest() == hashlib.sha256(b"abc").hexdigest()
