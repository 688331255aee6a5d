"""Streaming digests: a hasher per supported algorithm and a writer that hashes while it appends to a file.

Bodies pass through `HashingWriter.write` piece by piece (whatever size the HTTP layer delivers), so a
blob is hashed exactly once, while it streams, and never held in memory.
"""

from __future__ import annotations

import hashlib
import os
from typing import Protocol

from reference_server.grammar import Digest

READ_CHUNK = 1 << 20


class Hasher(Protocol):
    """The part of hashlib's hash objects the server uses."""

    def update(self, data: bytes, /) -> None:
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


class HashingWriter:
    """Appends to an open file descriptor and feeds the same bytes to a hasher."""

    __slots__ = ("fd", "hasher", "written")

    def __init__(self, fd: int, hasher: Hasher) -> None:
        self.fd = fd
        self.hasher = hasher
        self.written = 0

    def write(self, data: bytes) -> None:
        """Hash and append `data` (loops on short writes)."""
        self.hasher.update(data)
        view = memoryview(data)
        while view:
            count = os.write(self.fd, view)
            view = view[count:]
        self.written += len(data)
