"""Upload sessions: creation, in-order appends, status, completion into the blob store, cancel, expiry.

A session is ONE file, ``uploads/<id>.<algorithm>`` (see layout.py), holding the bytes received so far;
its mtime is the last activity. The session id is 32 lower-case hex characters: 20 random ones followed
by 12 of ``sha256(repository name)``, so a session is bound to its repository without any metadata file:
a URL naming another repository yields a different hash and the session is "unknown" there. Keeping a
session to a single file matters for speed: file creation costs ~50 us on this kind of disk, and a small
push (POST + PUT) now creates only the session file, the blob and the repository link.

Appends take an exclusive non-blocking ``flock`` on the data file, so two workers (or two requests) can
never interleave writes to one session; the loser gets "out of order".

hashlib state cannot be shared between worker processes, so each process keeps the running hasher of
the sessions it served, keyed by session id and valid only for the exact byte offset it has consumed.
When another worker appended in between (offset differs), the data file is re-hashed from disk, streaming.

Abandoned sessions expire after ``upload_timeout`` seconds without activity (data-file mtime): checked on
every access, plus a sweep of uploads/ and tmp/ at most once a minute per process.

Minimum chunk length (``min_length`` passed to `append`/`complete` by the handler, see
handlers/uploads.py for the rule): a chunk shorter than the minimum is stored, since it may be the last one,
and the session is marked as holding a short chunk; from then on no further data is accepted
(`ChunkAfterShortChunkError`), only a closing PUT without a body. The mark lives in the data file's mode:
the owner-execute bit (`SHORT_CHUNK_MARK`), which a session file is never created with. It is set with
``fchmod`` while the append still holds the session's ``flock``, so every worker sees it on its next
``fstat`` of the locked file, with no extra file and no in-process state. It is cleared before the data
file is committed as a blob. (A process killed between writing a short chunk and setting the mark leaves
the session unmarked: the failure mode is lenient, never a refused correct upload.)
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import secrets
import stat
import time
from dataclasses import dataclass

from reference_server.digests import BodySource, Hasher, HashingWriter, hash_file, new_hasher
from reference_server.grammar import SUPPORTED_ALGORITHMS, Digest, RepositoryName, UploadId
from reference_server.storage.blobs import BlobStore
from reference_server.storage.errors import (
    ChunkAfterShortChunkError,
    DigestMismatchError,
    SizeMismatchError,
    UploadNotFoundError,
    UploadOutOfOrderError,
)
from reference_server.storage.layout import Layout

REHASH_IN_THREAD_ABOVE = 1 << 20
HASHER_CACHE_LIMIT = 4096
RANDOM_HEX = 20
REPOSITORY_HEX = 12
SHORT_CHUNK_MARK = stat.S_IXUSR  # on the session's data file: it holds a chunk shorter than the minimum


def repository_tag(name: RepositoryName) -> str:
    """The 12 hex characters that bind a session id to repository `name`."""
    return hashlib.sha256(name.encode()).hexdigest()[:REPOSITORY_HEX]


@dataclass(frozen=True, slots=True)
class UploadSession:
    """An open upload session bound to one repository."""

    id: UploadId
    name: RepositoryName
    algorithm: str
    path: str


class UploadStore:
    """All upload sessions of the registry."""

    def __init__(self, layout: Layout, blobs: BlobStore, timeout: float) -> None:
        self.layout = layout
        self.blobs = blobs
        self.timeout = timeout
        self._hashers: dict[str, tuple[int, Hasher]] = {}
        self._last_sweep = 0.0
        self.sweep_interval = max(1.0, min(60.0, timeout / 2))

    # --- lifecycle -------------------------------------------------------------------------------
    def create(self, name: RepositoryName, algorithm: str) -> UploadSession:
        """Open a new empty session for `name`, hashing with `algorithm`."""
        self.maybe_sweep()
        upload_id = UploadId(secrets.token_hex(RANDOM_HEX // 2) + repository_tag(name))
        path = self.layout.upload_data(upload_id, algorithm)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        return UploadSession(upload_id, name, algorithm, path)

    def get(self, name: RepositoryName, upload_id: UploadId) -> UploadSession:
        """The live session `upload_id` of `name`; UploadNotFoundError otherwise (expired: removed)."""
        if not upload_id.endswith(repository_tag(name)):
            raise UploadNotFoundError(upload_id)
        for algorithm in SUPPORTED_ALGORITHMS:
            path = self.layout.upload_data(upload_id, algorithm)
            try:
                mtime = os.stat(path).st_mtime
            except FileNotFoundError:
                continue
            if time.time() - mtime > self.timeout:
                self._remove(path)
                break
            return UploadSession(upload_id, name, algorithm, path)
        raise UploadNotFoundError(upload_id)

    def size(self, session: UploadSession) -> int:
        """Number of bytes the session holds."""
        try:
            return os.stat(session.path).st_size
        except FileNotFoundError:
            raise UploadNotFoundError(session.id) from None

    def cancel(self, session: UploadSession) -> None:
        """Delete the session and its data."""
        self._remove(session.path)
        self._hashers.pop(session.id, None)

    # --- data ------------------------------------------------------------------------------------
    async def append(
        self,
        session: UploadSession,
        body: BodySource,
        start: int | None,
        length: int | None,
        *,
        min_length: int | None = None,
    ) -> int:
        """Append a chunk (must start at the stored size when `start` is given); return the new size.

        `length` None means "not announced" (the body may hold data). With `min_length`, a chunk that may
        carry data is refused when the session already holds a short chunk, and a non-empty chunk shorter
        than `min_length` marks the session (see the module docstring).
        """
        fd, size = self._open_locked(session, start, min_length, length)
        try:
            hasher = await self._hasher_at(session, session.algorithm, size)
            await self._write(session, fd, size, hasher, body=body, length=length)
            total = os.fstat(fd).st_size
            if min_length is not None and 0 < total - size < min_length:
                os.fchmod(fd, stat.S_IMODE(os.fstat(fd).st_mode) | SHORT_CHUNK_MARK)
            return total
        finally:
            os.close(fd)

    async def complete(
        self,
        session: UploadSession,
        body: BodySource,
        start: int | None,
        length: int | None,
        digest: Digest,
        *,
        min_length: int | None = None,
    ) -> None:
        """Append an optional last chunk, verify the content against `digest`, commit it to the repository.

        With `min_length`, a last chunk that may carry data is refused when the session already holds a
        short chunk (that chunk was then not the last one); closing without a body always proceeds.
        """
        fd, size = self._open_locked(session, start, min_length, length)
        try:
            hasher = await self._hasher_at(session, session.algorithm, size)
            await self._write(session, fd, size, hasher, body=body, length=length)
            total = os.fstat(fd).st_size
            self._hashers.pop(session.id, None)
            if digest.algorithm != session.algorithm:
                hasher = await self._hasher_at(session, digest.algorithm, total)
            actual = hasher.hexdigest()
            if actual != digest.hex:
                self.cancel(session)
                raise DigestMismatchError(str(digest), f"{digest.algorithm}:{actual}")
            mode = stat.S_IMODE(os.fstat(fd).st_mode)
            if mode & SHORT_CHUNK_MARK:
                os.fchmod(fd, mode & ~SHORT_CHUNK_MARK)  # a blob file carries no session mark
            try:
                self.blobs.commit_file(session.path, digest)
            except FileNotFoundError:  # expired (swept) or cancelled while this request ran
                raise UploadNotFoundError(session.id) from None
            self.blobs.link(session.name, digest)
        finally:
            os.close(fd)

    def _open_locked(
        self, session: UploadSession, start: int | None, min_length: int | None, length: int | None
    ) -> tuple[int, int]:
        """The locked data file and its size, after the order and short-chunk rules (errors close it)."""
        try:
            fd = os.open(session.path, os.O_WRONLY | os.O_APPEND)
        except FileNotFoundError:
            raise UploadNotFoundError(session.id) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            size = os.fstat(fd).st_size
            os.close(fd)
            raise UploadOutOfOrderError(
                size, start, "another request is writing to this upload session"
            ) from None
        info = os.fstat(fd)
        size = info.st_size
        if start is not None and start != size:
            os.close(fd)
            raise UploadOutOfOrderError(size, start)
        if min_length is not None and length != 0 and info.st_mode & SHORT_CHUNK_MARK:
            os.close(fd)
            raise ChunkAfterShortChunkError(size, start, min_length)
        return fd, size

    async def _write(
        self,
        session: UploadSession,
        fd: int,
        size: int,
        hasher: Hasher,
        *,
        body: BodySource,
        length: int | None,
    ) -> None:
        writer = HashingWriter(fd, hasher)
        try:
            await body.write_to(writer)
            if length is not None and writer.written != length:
                raise SizeMismatchError(length, writer.written)
        except BaseException:
            os.ftruncate(fd, size)
            raise
        if len(self._hashers) >= HASHER_CACHE_LIMIT:
            self._hashers.clear()
        self._hashers[session.id] = (size + writer.written, hasher)

    async def _hasher_at(self, session: UploadSession, algorithm: str, offset: int) -> Hasher:
        """The running hasher after `offset` bytes: from this process's cache, else re-hashed from disk."""
        if algorithm == session.algorithm:
            cached = self._hashers.pop(session.id, None)
            if cached is not None and cached[0] == offset:
                return cached[1]
        if offset == 0:
            return new_hasher(algorithm)
        if offset > REHASH_IN_THREAD_ABOVE:
            return await asyncio.to_thread(hash_file, session.path, algorithm, offset)
        return hash_file(session.path, algorithm, offset)

    # --- expiry ---------------------------------------------------------------------------------
    @staticmethod
    def _remove(path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)

    def maybe_sweep(self) -> None:
        """Run `sweep` if this process has not swept for `sweep_interval` seconds."""
        now = time.monotonic()
        if now - self._last_sweep >= self.sweep_interval:
            self._last_sweep = now
            self.sweep()

    def sweep(self) -> int:
        """Remove expired sessions and stale temp files; return how many sessions were removed."""
        cutoff = time.time() - self.timeout
        removed = 0
        for directory, counted in ((self.layout.uploads, True), (self.layout.tmp, False)):
            with os.scandir(directory) as entries:
                for entry in entries:
                    with contextlib.suppress(FileNotFoundError):
                        if entry.stat().st_mtime < cutoff:
                            os.unlink(entry.path)
                            removed += counted
        return removed
