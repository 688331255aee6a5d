"""Streaming digests: a hasher per supported algorithm and a writer that hashes while it appends to a file.

Bodies pass through `pump` piece by piece (whatever size the HTTP layer delivers), so a blob is hashed
exactly once, while it streams, and never held in memory beyond about 5 MiB per request.

Speed: on a 2-core machine receiving (event loop), hashing and writing together need more than one core
for a large push. `pump` therefore hands each full MiB to the body's own two helper threads, one hashing
and one appending (hashlib and os.writev release the GIL), while the loop receives the next MiB; bodies
under 1 MiB never leave the loop thread, so small requests pay no thread hop. Up to `MAX_IN_FLIGHT`
batches queue for the helpers, so they never idle waiting for the loop; one thread per job keeps hashing
and writes in order. The loop only waits (and is only woken) when the queue is full or the body ends.

Stores take a request body as a `BodySource`: something that writes every byte of itself into a
`HashingWriter`. `StreamedBody` is the ASGI stream fed through `pump`; a large ``Content-Length`` body
can instead be read straight from the socket (``direct_body.DirectBody``), so stores never see HTTP.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from reference_server.grammar import Digest

READ_CHUNK = 1 << 20
PIPELINE_BATCH = 1 << 20
MAX_IN_FLIGHT = 4
IOV_MAX = 1024  # POSIX minimum is 16, Linux allows 1024 buffers per writev


class Hasher(Protocol):
    """The part of hashlib's hash objects the server uses."""

    def update(self, data: bytes | memoryview, /) -> None:
        """Feed bytes."""

    def hexdigest(self) -> str:
        """Hex digest of everything fed so far."""

    def copy(self) -> Hasher:
        """An independent copy of the current state."""


def new_hasher(algorithm: str) -> Hasher:
    """A fresh hasher for a supported algorithm (`sha256`, `sha512`)."""
    return hashlib.new(algorithm)


def digest_bytes(data: bytes, algorithm: str = "sha256") -> Digest:
    """Digest of an in-memory document (manifests only; blobs always stream)."""
    return Digest(algorithm, hashlib.new(algorithm, data).hexdigest())


def hash_file(path: str | os.PathLike[str], algorithm: str, length: int | None = None) -> Hasher:
    """Hash the first `length` bytes of a file (all of it when None), reading 1 MiB at a time."""
    hasher = new_hasher(algorithm)
    remaining = length
    with open(path, "rb", buffering=0) as handle:
        while remaining is None or remaining > 0:
            want = READ_CHUNK if remaining is None else min(READ_CHUNK, remaining)
            piece = handle.read(want)
            if not piece:
                break
            hasher.update(piece)
            if remaining is not None:
                remaining -= len(piece)
    return hasher


class BodySource(Protocol):
    """A request body as stores consume it: written, every byte in order, into a `HashingWriter`."""

    async def write_to(self, writer: HashingWriter) -> None:
        """Write the whole body into `writer` (raises ClientDisconnectedError if the client goes away)."""


class StreamedBody:
    """A body given as an async iterator of pieces (the ASGI stream), written through `pump`."""

    __slots__ = ("chunks",)

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self.chunks = chunks

    async def write_to(self, writer: HashingWriter) -> None:
        """Feed every piece to `writer` (see `pump`)."""
        await pump(self.chunks, writer)


class HashingWriter:
    """Appends to an open file descriptor and feeds the same bytes to a hasher."""

    __slots__ = ("fd", "hasher", "written")

    def __init__(self, fd: int, hasher: Hasher) -> None:
        self.fd = fd
        self.hasher = hasher
        self.written = 0

    def write(self, data: bytes | memoryview) -> None:
        """Hash and append `data` (loops on short writes)."""
        self.hasher.update(data)
        view = memoryview(data)
        while view:
            count = os.write(self.fd, view)
            view = view[count:]
        self.written += len(data)

    def write_many(self, pieces: list[bytes]) -> None:
        """Hash every piece and append them all (small bodies, in the loop thread)."""
        self.hash_many(pieces)
        self.append_many(pieces)

    def hash_many(self, pieces: list[bytes]) -> None:
        """Feed every piece to the hasher, in order (the hashing helper thread for large bodies)."""
        for piece in pieces:
            self.hasher.update(piece)

    def append_many(self, pieces: list[bytes]) -> None:
        """Append the pieces with as few `writev` calls as possible (the writing helper for large bodies)."""
        for start in range(0, len(pieces), IOV_MAX):
            group = pieces[start:start + IOV_MAX]
            count = os.writev(self.fd, group)
            for piece in group:  # after a short write (rare), append what is left piece by piece
                if count >= len(piece):
                    count -= len(piece)
                    continue
                view = memoryview(piece)[count:]
                count = 0
                while view:
                    view = view[os.write(self.fd, view):]
            self.written += sum(len(piece) for piece in group)


async def _wait(future: Future[None]) -> None:
    """Wait for a helper's job without blocking the loop (no loop wake-up when it is already done)."""
    if future.done():
        future.result()
    else:
        await asyncio.wrap_future(future)


async def pump(chunks: AsyncIterator[bytes], writer: HashingWriter) -> None:
    """Feed every chunk to `writer`; full 1 MiB batches are hashed and written by two helper threads.

    Up to `MAX_IN_FLIGHT` batches queue for the helpers, so they always have the next batch at hand while
    the loop receives; one hashing and one writing thread per body keep both in order. The helpers start
    at the first full batch.
    """
    batch: list[bytes] = []
    batch_bytes = 0
    in_flight: collections.deque[tuple[Future[None], Future[None]]] = collections.deque()
    helpers: tuple[ThreadPoolExecutor, ThreadPoolExecutor] | None = None
    try:
        async for chunk in chunks:
            batch.append(chunk)
            batch_bytes += len(chunk)
            if batch_bytes >= PIPELINE_BATCH:
                if helpers is None:
                    helpers = (ThreadPoolExecutor(1, "pump-hash"), ThreadPoolExecutor(1, "pump-write"))
                if len(in_flight) >= MAX_IN_FLIGHT:
                    for job in in_flight.popleft():
                        await _wait(job)
                hashing = helpers[0].submit(writer.hash_many, batch)
                in_flight.append((hashing, helpers[1].submit(writer.append_many, batch)))
                batch = []
                batch_bytes = 0
        while in_flight:
            for job in in_flight.popleft():
                await _wait(job)
        if batch:
            writer.write_many(batch)
    finally:
        while in_flight:
            for job in in_flight.popleft():
                with contextlib.suppress(Exception):
                    await _wait(job)
        if helpers is not None:
            for helper in helpers:
                helper.shutdown(wait=False)
