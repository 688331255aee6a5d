"""Blobs: bytes with a media type, their digest computed by us, and deterministic random content.

Every builder takes a `seed` (`random.Random`, an int, or None for seed 0) so a failing check can be
replayed byte for byte. `random_blob(seed, size)` is cheap (`Random.randbytes`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from conformance.content.descriptors import Descriptor
from conformance.spec import media_types
from conformance.spec.digests import digest_bytes

Seed = random.Random | int | None
"""A source of determinism: a `random.Random`, a seed integer, or None (seed 0)."""

EMPTY_JSON_BYTES = b"{}"
EMPTY_JSON_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
EMPTY_BLOB_DIGEST = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def rng_of(seed: Seed) -> random.Random:
    """Return `seed` itself when it is a Random, else a new Random seeded with it (None -> 0)."""
    if isinstance(seed, random.Random):
        return seed
    return random.Random(0 if seed is None else seed)


@dataclass(frozen=True)
class Blob:
    """Bytes to push as a blob, with the media type descriptors will declare for them."""

    data: bytes
    media_type: str = media_types.OCTET_STREAM
    algorithm: str = "sha256"

    @cached_property
    def digest(self) -> str:
        """`algorithm:hex` of `data`, computed here."""
        return digest_bytes(self.data, self.algorithm)

    @property
    def size(self) -> int:
        """Length of `data` in bytes."""
        return len(self.data)

    def descriptor(self, **fields: Any) -> Descriptor:
        """A descriptor of this blob; keyword arguments set optional `Descriptor` fields."""
        return Descriptor(media_type=self.media_type, digest=self.digest, size=self.size, **fields)

    def with_media_type(self, media_type: str) -> Blob:
        """The same bytes declared with another media type."""
        return Blob(self.data, media_type, self.algorithm)


def random_bytes(seed: Seed, size: int) -> bytes:
    """`size` pseudo-random bytes from `seed`."""
    return rng_of(seed).randbytes(size)


def random_blob(
    seed: Seed = None,
    size: int = 1024,
    *,
    media_type: str = media_types.OCTET_STREAM,
    algorithm: str = "sha256",
) -> Blob:
    """A blob of `size` pseudo-random bytes."""
    return Blob(random_bytes(seed, size), media_type, algorithm)


def empty_blob(*, media_type: str = media_types.OCTET_STREAM, algorithm: str = "sha256") -> Blob:
    """The zero-length blob."""
    return Blob(b"", media_type, algorithm)


def empty_json_blob(algorithm: str = "sha256") -> Blob:
    """The empty JSON blob `{}` (`application/vnd.oci.empty.v1+json`, image-spec `manifest.md`)."""
    return Blob(EMPTY_JSON_BYTES, media_types.OCI_EMPTY, algorithm)


def empty_json_descriptor(*, with_data: bool = False, algorithm: str = "sha256") -> Descriptor:
    """Descriptor of the empty JSON blob, optionally with `data: "e30="` embedded."""
    blob = empty_json_blob(algorithm)
    return blob.descriptor(data=blob.data) if with_data else blob.descriptor()
