"""Computing content digests (`algorithm:hex`) of bytes and streams, independently of any registry.

Only algorithms Python's `hashlib` provides are computable here: sha256 (required by the spec) and
sha512 (optional). `blake3` is registered in the image-spec but has no stdlib implementation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

COMPUTABLE_ALGORITHMS: tuple[str, ...] = ("sha256", "sha512")
"""Digest algorithms `digest_bytes` and `DigestHasher` can compute."""


def _new_hash(algorithm: str) -> hashlib._Hash:
    if algorithm not in COMPUTABLE_ALGORITHMS:
        raise ValueError(
            f"cannot compute digest algorithm {algorithm!r} (known: {', '.join(COMPUTABLE_ALGORITHMS)})"
        )
    return hashlib.new(algorithm)


def digest_bytes(data: bytes | bytearray | memoryview, algorithm: str = "sha256") -> str:
    """Return the digest string (`sha256:<64 hex>`) of `data`."""
    hasher = _new_hash(algorithm)
    hasher.update(data)
    return f"{algorithm}:{hasher.hexdigest()}"


def digest_stream(chunks: Iterable[bytes], algorithm: str = "sha256") -> tuple[str, int]:
    """Return `(digest, size)` of the concatenated `chunks`, hashing them one at a time."""
    hasher = DigestHasher(algorithm)
    for chunk in chunks:
        hasher.update(chunk)
    return hasher.digest, hasher.size


def algorithm_of(digest: str) -> str:
    """Return the algorithm part of a digest string (`sha256` of `sha256:abc...`)."""
    return digest.split(":", 1)[0]


class DigestHasher:
    """Incremental hasher that also counts bytes: `update()` chunks, then read `.digest` and `.size`."""

    def __init__(self, algorithm: str = "sha256") -> None:
        self.algorithm = algorithm
        self._hash = _new_hash(algorithm)
        self.size = 0

    def update(self, chunk: bytes | bytearray | memoryview) -> None:
        """Feed the next chunk of content."""
        self._hash.update(chunk)
        self.size += len(chunk)

    @property
    def digest(self) -> str:
        """The digest of everything fed so far, as `algorithm:hex`."""
        return f"{self.algorithm}:{self._hash.hexdigest()}"
