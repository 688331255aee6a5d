"""Benchmark blob contents: unique blobs of any size cut from one pre-generated random pool.

`os.urandom` runs at about 0.2 GB/s, far slower than a registry on loopback, so blobs are slices of a
pool generated once. Every blob ends with a unique 16-byte suffix, so no two uploads share a digest
(a registry cannot skip work by deduplicating), while the hash of the shared body before the suffix is
computed once per size and copied: the client's digest costs nothing per upload.
Bodies are produced as an iterator of 1 MiB memoryview slices of the pool (no copies), the way a
streaming client sends them.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SLICE = 1 << 20
SUFFIX_LENGTH = 16
DEFAULT_POOL_SIZE = 64 << 20


@dataclass(frozen=True)
class Payload:
    """One blob to upload: its size, digest and the unique suffix that makes it distinct."""

    size: int
    digest: str
    suffix: bytes


class BlobPool:
    """A random byte pool and the blobs cut from it (thread-safe)."""

    def __init__(self, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self._pool = os.urandom(max(pool_size, SLICE))
        self._view = memoryview(self._pool)
        self._prefix_hashes: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._counter = itertools.count()

    def _body_length(self, size: int) -> int:
        return max(size - SUFFIX_LENGTH, 0)

    def _prefix_hash(self, size: int) -> Any:
        with self._lock:
            cached = self._prefix_hashes.get(size)
            if cached is None:
                cached = hashlib.sha256()
                for piece in self._body_slices(self._body_length(size)):
                    cached.update(piece)
                self._prefix_hashes[size] = cached
            return cached.copy()

    def _body_slices(self, length: int) -> Iterator[memoryview]:
        produced = 0
        pool_size = len(self._pool)
        while produced < length:
            start = produced % pool_size
            end = min(start + SLICE, pool_size, start + (length - produced))
            yield self._view[start:end]
            produced += end - start

    def new_payload(self, size: int) -> Payload:
        """A fresh blob of `size` bytes that no other call returns."""
        unique = next(self._counter).to_bytes(8, "big") + os.urandom(8)
        suffix = unique[: min(SUFFIX_LENGTH, size)]
        digest = self._prefix_hash(size)
        digest.update(suffix)
        return Payload(size=size, digest="sha256:" + digest.hexdigest(), suffix=suffix)

    def slices(self, payload: Payload) -> Iterator[memoryview | bytes]:
        """The blob's bytes as slices of at most 1 MiB: views of the pool (no copies), then the suffix."""
        yield from self._body_slices(self._body_length(payload.size))
        yield payload.suffix
