"""Blob store: content-addressed files plus per-repository links; streaming ingest with digest check."""

from __future__ import annotations

import contextlib
import os

from reference_server.digests import BodySource, HashingWriter, new_hasher
from reference_server.grammar import Digest, RepositoryName
from reference_server.storage.errors import (
    BlobNotFoundError,
    DigestMismatchError,
    SizeMismatchError,
    UploadNotFoundError,
)
from reference_server.storage.layout import Layout


class BlobStore:
    """Blobs of every repository: content lives once in blobs/, repositories hold links."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def size_anywhere(self, digest: Digest) -> int | None:
        """Size of the content of `digest` if the registry holds it at all."""
        try:
            return os.stat(self.layout.blob(digest)).st_size
        except FileNotFoundError:
            return None

    def size_in(self, name: RepositoryName, digest: Digest) -> int:
        """Size of blob `digest` in repository `name`; BlobNotFoundError if it is not linked there."""
        try:
            os.stat(self.layout.layer_link(name, digest))
            return os.stat(self.layout.blob(digest)).st_size
        except FileNotFoundError:
            raise BlobNotFoundError(str(digest)) from None

    def size_in_or_none(self, name: RepositoryName, digest: Digest) -> int | None:
        """Like `size_in`, but None instead of BlobNotFoundError."""
        try:
            return self.size_in(name, digest)
        except BlobNotFoundError:
            return None

    def open_in(self, name: RepositoryName, digest: Digest) -> tuple[int, int]:
        """Open blob `digest` of `name` for reading: (file descriptor, size). The caller closes it."""
        try:
            os.stat(self.layout.layer_link(name, digest))
            fd = os.open(self.layout.blob(digest), os.O_RDONLY)
        except FileNotFoundError:
            raise BlobNotFoundError(str(digest)) from None
        return fd, os.fstat(fd).st_size

    def link(self, name: RepositoryName, digest: Digest) -> None:
        """Link existing content `digest` into repository `name` (idempotent)."""
        self.layout.touch(self.layout.layer_link(name, digest))

    def unlink(self, name: RepositoryName, digest: Digest) -> None:
        """Remove blob `digest` from repository `name` (content stays until garbage collection)."""
        try:
            os.unlink(self.layout.layer_link(name, digest))
        except FileNotFoundError:
            raise BlobNotFoundError(str(digest)) from None

    def commit_file(self, temp: str, digest: Digest) -> None:
        """Make a fully written and verified temp file the content of `digest` (atomic, dedups)."""
        target = self.layout.blob(digest)
        if os.path.exists(target):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            return
        if self.layout.fsync:
            fd = os.open(temp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        self.layout.publish(temp, target)

    def write_bytes(self, data: bytes, digest: Digest) -> None:
        """Store an in-memory document (a manifest body) under its already computed digest."""
        if os.path.exists(self.layout.blob(digest)):
            return
        self.layout.write_atomic(self.layout.blob(digest), data)

    def read_bytes(self, digest: Digest) -> bytes:
        """The content of `digest` (used for manifests only; blobs stream)."""
        try:
            with open(self.layout.blob(digest), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            raise BlobNotFoundError(str(digest)) from None

    async def ingest(
        self,
        name: RepositoryName,
        body: BodySource,
        expected: Digest,
        expected_length: int | None,
    ) -> None:
        """Stream a whole blob (single-request upload) into the store, verify it, link it into `name`."""
        temp = self.layout.temp_file()
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        committed = False
        try:
            writer = HashingWriter(fd, new_hasher(expected.algorithm))
            await body.write_to(writer)
            os.close(fd)
            fd = -1
            if expected_length is not None and writer.written != expected_length:
                raise SizeMismatchError(expected_length, writer.written)
            actual = writer.hasher.hexdigest()
            if actual != expected.hex:
                raise DigestMismatchError(str(expected), f"{expected.algorithm}:{actual}")
            try:
                self.commit_file(temp, expected)
            except FileNotFoundError:  # the temp file expired (stalled longer than the upload timeout)
                raise UploadNotFoundError("single-request upload") from None
            committed = True
            self.link(name, expected)
        finally:
            if fd >= 0:
                os.close(fd)
            if not committed:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)
