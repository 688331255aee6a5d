"""Incompressible blob content for load runs, cut from one pre-generated random pool.

Generating random bytes is slower than sending or hashing them (os.urandom ~0.2 GB/s against ~2 GB/s on
loopback), so every process fills one pool once from a seeded PRNG and cuts blobs out of it. A blob is
`pool bytes from a fixed offset (wrapping around)` followed by a 16-byte unique suffix, so every upload has
its own digest while its body is never copied: it is streamed as memoryview slices of the pool.

Digests stay cheap: the sha256 state after the pool part depends only on (offset, length), so it is computed
once (by a caller-supplied `run_blocking`, e.g. a real thread) and cached; a new blob's digest is then
`cached_state.copy().update(suffix)`. The same seed gives the same pool in every process, so a blob built
with `unique=False` has the same digest on every worker (the pull-storm image).

This module never imports locust or gevent; callers pass `run_blocking` to move hashing off their loop.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
MiB = 1024 * 1024
SUFFIX_LEN = 16
OFFSET_SLOTS = 8
SEND_CHUNK = 1 * MiB
HASH_SLICE = 4 * MiB

RunBlocking = Callable[[Callable[[], Any]], Any]


def run_inline(fn: Callable[[], T]) -> T:
    """Default `run_blocking`: call `fn` right here (fine outside an event loop)."""
    return fn()


class ContentPool:
    """A block of seeded random bytes that blobs are cut from, plus the cache of partial sha256 states."""

    def __init__(self, size: int = 64 * MiB, seed: int = 0x0C1) -> None:
        if size < MiB:
            raise ValueError("the content pool must be at least 1 MiB")
        self.size = size
        self.data = random.Random(seed).randbytes(size)
        self.view = memoryview(self.data)
        self._states: dict[tuple[int, int], Any] = {}
        self._counter = itertools.count()

    def spans(self, offset: int, length: int, chunk: int = SEND_CHUNK) -> Iterator[memoryview]:
        """Yield `length` pool bytes starting at `offset`, wrapping around, as slices of at most `chunk`."""
        position = offset % self.size
        remaining = length
        while remaining > 0:
            take = min(chunk, remaining, self.size - position)
            yield self.view[position : position + take]
            remaining -= take
            position = (position + take) % self.size

    def _state(self, offset: int, length: int, run_blocking: RunBlocking) -> Any:
        key = (offset, length)
        state = self._states.get(key)
        if state is None:

            def compute() -> Any:
                hasher = hashlib.sha256()
                for part in self.spans(offset, length, HASH_SLICE):
                    hasher.update(part)
                return hasher

            state = run_blocking(compute)
            self._states[key] = state
        return state

    def new_blob(self, size: int, *, unique: bool = True, slot: int | None = None,
                 run_blocking: RunBlocking = run_inline) -> Blob:
        """A blob of `size` bytes; `unique` adds a random suffix (a new digest); `slot` picks the offset."""
        if size < 0:
            raise ValueError("blob size must be >= 0")
        if slot is None:
            slot = next(self._counter) % OFFSET_SLOTS
        offset = (slot % OFFSET_SLOTS) * (self.size // OFFSET_SLOTS)
        if unique and size <= 2 * SUFFIX_LEN:
            data = os.urandom(size)
            return Blob(self, offset, 0, data, "sha256:" + hashlib.sha256(data).hexdigest())
        suffix = os.urandom(SUFFIX_LEN) if unique else b""
        pool_part = size - len(suffix)
        hasher = self._state(offset, pool_part, run_blocking).copy()
        hasher.update(suffix)
        return Blob(self, offset, pool_part, suffix, "sha256:" + hasher.hexdigest())


@dataclass(frozen=True)
class Blob:
    """One blob: `pool_part` bytes of the pool from `offset`, then `suffix`; `digest` is its sha256."""

    pool: ContentPool
    offset: int
    pool_part: int
    suffix: bytes
    digest: str

    @property
    def size(self) -> int:
        """Total length in bytes."""
        return self.pool_part + len(self.suffix)

    def chunks(self, start: int = 0, end: int | None = None, chunk: int = SEND_CHUNK) -> Iterator[memoryview]:
        """Yield bytes [start, end) of the blob as memoryview slices (no copy of the pool)."""
        end = self.size if end is None else min(end, self.size)
        if start < self.pool_part:
            yield from self.pool.spans(self.offset + start, min(end, self.pool_part) - start, chunk)
        if end > self.pool_part:
            suffix = memoryview(self.suffix)
            yield suffix[max(0, start - self.pool_part) : end - self.pool_part]

    def body(self, start: int = 0, end: int | None = None,
             on_chunk: Callable[[int], None] | None = None) -> BlobBody:
        """A request body for bytes [start, end): an iterable with a length, streamed without copying."""
        end = self.size if end is None else min(end, self.size)
        return BlobBody(self, start, end, on_chunk)

    def to_bytes(self) -> bytes:
        """The whole blob as one bytes object (for small blobs and checks only)."""
        return b"".join(self.chunks())


class BlobBody:
    """Iterable request body over a blob window; `len()` is its Content-Length; `on_chunk` counts bytes."""

    def __init__(self, blob: Blob, start: int, end: int, on_chunk: Callable[[int], None] | None) -> None:
        self.blob = blob
        self.start = start
        self.end = end
        self.on_chunk = on_chunk

    def __len__(self) -> int:
        return self.end - self.start

    def __iter__(self) -> Iterator[memoryview]:
        for part in self.blob.chunks(self.start, self.end):
            if len(part):
                if self.on_chunk is not None:
                    self.on_chunk(len(part))
                yield part
