"""Stand-ins for the blob reader's disk reads (reference_server/file_reader.py), patched in by tests.

The nowait fakes replace ``os.preadv`` with RWF_NOWAIT semantics (`never_cached`, `half_cached`,
`unsupported`); `GatedRead` replaces `file_reader.read_blocking` with a slow disk whose reads wait
until the test releases them. Shared by the reader's unit tests and the HTTP pull tests.
"""

from __future__ import annotations

import errno
import os
import threading

from reference_server import file_reader

REAL_PREADV = os.preadv
RELEASE_TIMEOUT = 60.0


def never_cached(fd: int, view: memoryview, offset: int) -> int:
    """Nothing is in the page cache: every nowait read would block."""
    raise BlockingIOError(errno.EAGAIN, "would block")


def half_cached(fd: int, view: memoryview, offset: int) -> int:
    """A short nowait read: the first half of the piece really read, as if only it were cached."""
    return REAL_PREADV(fd, [view[: max(1, len(view) // 2)]], offset)


def unsupported(fd: int, view: memoryview, offset: int) -> int:
    """A kernel or filesystem without RWF_NOWAIT."""
    raise OSError(errno.EOPNOTSUPP, "operation not supported")


class GatedRead:
    """Blocking reads set `started`, wait for `release` (at most `RELEASE_TIMEOUT` s), then read for real."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.real = file_reader.read_blocking

    def __call__(self, fd: int, view: memoryview, offset: int) -> int:
        self.started.set()
        assert self.release.wait(RELEASE_TIMEOUT), "the test never released the gated read"
        return self.real(fd, view, offset)
