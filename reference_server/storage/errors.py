"""Domain errors raised by the stores; they know nothing about HTTP (errors.py translates them)."""

from __future__ import annotations


class StorageError(Exception):
    """Base class of every domain error raised by the stores."""


class RepositoryNotFoundError(StorageError):
    """The repository has no content at all."""

    def __init__(self, name: str) -> None:
        super().__init__(f"repository {name} is not known")
        self.name = name


class BlobNotFoundError(StorageError):
    """The blob is not linked into the repository (or its content is gone)."""

    def __init__(self, digest: str) -> None:
        super().__init__(f"blob {digest} is not known to this repository")
        self.digest = digest


class ManifestNotFoundError(StorageError):
    """No manifest for this tag or digest in the repository."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"manifest {reference} is not known to this repository")
        self.reference = reference


class UploadNotFoundError(StorageError):
    """The upload session does not exist (never created, completed, cancelled, expired, other repository)."""

    def __init__(self, upload_id: str) -> None:
        super().__init__(f"upload session {upload_id} is not known")
        self.upload_id = upload_id


class UploadOutOfOrderError(StorageError):
    """A chunk does not start where the stored data ends (or another request is writing the session)."""

    def __init__(self, stored: int, start: int | None, reason: str = "") -> None:
        super().__init__(reason or f"chunk starts at {start} but the session holds {stored} bytes")
        self.stored = stored
        self.start = start


class ChunkAfterShortChunkError(UploadOutOfOrderError):
    """More data for a session whose last chunk was shorter than the minimum chunk length.

    A short chunk is only allowed as the last one; data after it means it was not. It is a chunk the
    registry cannot accept at this point, so it is answered like an out-of-order chunk.
    """

    def __init__(self, stored: int, start: int | None, min_length: int) -> None:
        super().__init__(
            stored,
            start,
            f"the session already holds a chunk shorter than the minimum chunk length of {min_length} bytes "
            "(OCI-Chunk-Min-Length), which must be the last chunk: close the upload with a PUT without a "
            "body, or cancel it and upload again in chunks of at least the minimum",
        )
        self.min_length = min_length


class DigestMismatchError(StorageError):
    """Content does not hash to the digest the client named."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"content hashes to {actual}, not {expected}")
        self.expected = expected
        self.actual = actual


class SizeMismatchError(StorageError):
    """The number of bytes received differs from the announced length."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected {expected} bytes, received {actual}")
        self.expected = expected
        self.actual = actual


class ContentTooLargeError(StorageError):
    """A body is larger than the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body exceeds the limit of {limit} bytes")
        self.limit = limit


class ClientDisconnectedError(StorageError):
    """The client went away while its request body was being read."""
