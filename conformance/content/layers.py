"""Image layers: deterministic tar archives, gzip-compressed or not, with their `diff_id`.

A layer's `diff_id` is the digest of the uncompressed tar (image-spec `config.md`); configs list
them in `rootfs.diff_ids`. Tar headers use a fixed mtime, owner and mode, and gzip uses mtime 0, so
the same seed always gives the same bytes.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from dataclasses import dataclass

from conformance.content.blobs import Blob, Seed, rng_of
from conformance.spec import media_types
from conformance.spec.digests import digest_bytes

FIXED_MTIME = 946684800  # 2000-01-01T00:00:00Z


@dataclass(frozen=True)
class Layer(Blob):
    """A layer blob; `diff_id` is the sha256 digest of its uncompressed tar stream."""

    diff_id: str = ""


def tar_bytes(files: dict[str, bytes]) -> bytes:
    """A deterministic uncompressed tar holding `files` (path -> content) as regular files."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, content in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size = len(content)
            info.mtime = FIXED_MTIME
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def gzip_bytes(data: bytes) -> bytes:
    """Gzip `data` deterministically (mtime 0, no file name)."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def tar_layer(
    seed: Seed = None,
    *,
    files: int = 1,
    file_size: int = 256,
    compressed: bool = True,
    media_type: str | None = None,
    algorithm: str = "sha256",
) -> Layer:
    """A layer with `files` random files of `file_size` bytes; gzip tar unless `compressed=False`.

    `media_type` defaults to the OCI tar+gzip or tar type; pass a Docker or non-distributable type
    to reuse the same bytes elsewhere.
    """
    rng = rng_of(seed)
    tag = rng.getrandbits(32)
    contents = {f"layer-{tag:08x}/file-{index}.bin": rng.randbytes(file_size) for index in range(files)}
    tar = tar_bytes(contents)
    data = gzip_bytes(tar) if compressed else tar
    if media_type is None:
        media_type = media_types.OCI_LAYER_TAR_GZIP if compressed else media_types.OCI_LAYER_TAR
    return Layer(data=data, media_type=media_type, algorithm=algorithm, diff_id=digest_bytes(tar, algorithm))
