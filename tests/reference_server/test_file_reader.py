"""file_reader: exact pieces on every read path, the read-ahead bound, the RWF_NOWAIT decision, fd closing."""

from __future__ import annotations

import asyncio
import errno
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reference_server import file_reader
from reference_server.file_reader import INLINE_MAX, NOWAIT, PIECE, FilePieces
from tests.reference_server.read_fakes import REAL_PREADV, GatedRead, half_cached, never_cached, unsupported

POOL_PREFIX = "blob-read"
WriteBlob = Callable[[bytes], Path]


def data_of(size: int) -> bytes:
    return os.urandom(size)


@pytest.fixture
def blob_file(tmp_path: Path) -> WriteBlob:
    def write(data: bytes) -> Path:
        path = tmp_path / f"blob-{len(data)}"
        path.write_bytes(data)
        return path

    return write


@pytest.fixture(autouse=True)
def fresh_nowait_decision(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test decides RWF_NOWAIT support afresh (and leaves the real decision untouched)."""
    monkeypatch.setattr(NOWAIT, "supported", None)


class ReadLog:
    """Records every os.preadv call: whether it asked for RWF_NOWAIT and which thread made it."""

    def __init__(self) -> None:
        self.calls: list[tuple[bool, str]] = []
        self.loop_blocking_sizes: list[int] = []
        self.lock = threading.Lock()

    def record(self, flags: int, size: int) -> None:
        nowait, thread = bool(flags & getattr(os, "RWF_NOWAIT", 0)), threading.current_thread().name
        with self.lock:
            self.calls.append((nowait, thread))
            if not nowait and not thread.startswith(POOL_PREFIX):
                self.loop_blocking_sizes.append(size)

    def blocking_in_pool(self) -> int:
        return sum(1 for nowait, name in self.calls if not nowait and name.startswith(POOL_PREFIX))

    def blocking_on_loop(self) -> int:
        return sum(1 for nowait, name in self.calls if not nowait and not name.startswith(POOL_PREFIX))

    def nowait(self) -> int:
        return sum(1 for nowait, _ in self.calls if nowait)


def patch_preadv(monkeypatch: pytest.MonkeyPatch, nowait: Callable[[int, memoryview, int], int]) -> ReadLog:
    """Replace os.preadv: calls with RWF_NOWAIT go to `nowait`, the others read for real; all are logged."""
    log = ReadLog()

    def preadv(fd: int, buffers: list[memoryview], offset: int, flags: int = 0) -> int:
        log.record(flags, len(buffers[0]))
        if flags:
            return nowait(fd, buffers[0], offset)
        return REAL_PREADV(fd, buffers, offset)

    monkeypatch.setattr(os, "preadv", preadv)
    return log


def collect(path: Path, offset: int, length: int, *, piece: int = PIECE) -> list[bytearray]:
    async def run() -> list[bytearray]:
        pieces = FilePieces(os.open(path, os.O_RDONLY), offset, length, piece=piece)
        got: list[bytearray] = []
        try:
            while pieces.remaining > 0:
                got.append(await pieces.next())
            assert await pieces.next() == b""
        finally:
            pieces.close()
        return got

    return asyncio.run(run())


SIZES = [1, INLINE_MAX, PIECE - 1, PIECE, PIECE + 1, 3 * PIECE + 12345]
SPANS = [(0, None), (0, 1), (PIECE - 3, 7), (17, None), (PIECE, PIECE), (5, 2 * PIECE + 1)]


def spans_for(size: int) -> Iterator[tuple[int, int]]:
    for offset, length in SPANS:
        if offset >= size:
            continue
        yield offset, min(size - offset, length if length is not None else size)


@pytest.mark.parametrize("size", SIZES)
def test_pieces_are_byte_exact_for_every_size_and_range(blob_file: WriteBlob, size: int) -> None:
    data = data_of(size)
    path = blob_file(data)
    for offset, length in spans_for(size):
        pieces = collect(path, offset, length)
        assert b"".join(pieces) == data[offset : offset + length], (offset, length)
        assert all(0 < len(p) <= PIECE for p in pieces)
        assert len(pieces) == -(-length // PIECE)


@pytest.mark.parametrize("nowait", [never_cached, half_cached, unsupported], ids=lambda f: f.__name__)
@pytest.mark.parametrize("size", [PIECE - 1, 3 * PIECE + 12345])
def test_pool_paths_give_identical_bytes(
    monkeypatch: pytest.MonkeyPatch,
    blob_file: WriteBlob,
    nowait: Callable[[int, memoryview, int], int],
    size: int,
) -> None:
    data = data_of(size)
    path = blob_file(data)
    log = patch_preadv(monkeypatch, nowait)
    for offset, length in spans_for(size):
        assert b"".join(collect(path, offset, length)) == data[offset : offset + length], (offset, length)
    assert log.blocking_in_pool() > 0
    assert all(size <= INLINE_MAX for size in log.loop_blocking_sizes)  # only small pieces read inline
    if nowait is not unsupported:
        assert log.loop_blocking_sizes == []


def test_cached_reads_stay_on_the_loop(monkeypatch: pytest.MonkeyPatch, blob_file: WriteBlob) -> None:
    data = data_of(3 * PIECE)
    path = blob_file(data)
    log = patch_preadv(monkeypatch, lambda fd, view, offset: REAL_PREADV(fd, [view], offset))
    assert b"".join(collect(path, 0, len(data))) == data
    assert log.nowait() == 3
    assert log.blocking_in_pool() == log.blocking_on_loop() == 0


def test_unsupported_nowait_is_decided_once(monkeypatch: pytest.MonkeyPatch, blob_file: WriteBlob) -> None:
    data = data_of(3 * PIECE + 10)
    path = blob_file(data)
    log = patch_preadv(monkeypatch, unsupported)
    assert b"".join(collect(path, 0, len(data))) == data
    assert NOWAIT.supported is False
    assert log.nowait() == 1  # the first attempt decided it; no later piece asked again
    small = collect(path, 0, INLINE_MAX)  # small pieces are then read inline
    assert b"".join(small) == data[:INLINE_MAX]
    assert log.blocking_on_loop() == 1


def test_missing_rwf_nowait_counts_as_unsupported(
    monkeypatch: pytest.MonkeyPatch, blob_file: WriteBlob
) -> None:
    data = data_of(2 * PIECE)
    path = blob_file(data)
    monkeypatch.delattr(os, "RWF_NOWAIT")
    assert b"".join(collect(path, 0, len(data))) == data
    assert NOWAIT.supported is False


def test_other_read_errors_propagate(monkeypatch: pytest.MonkeyPatch, blob_file: WriteBlob) -> None:
    path = blob_file(data_of(PIECE))

    def broken(fd: int, view: memoryview, offset: int) -> int:
        raise OSError(errno.EIO, "input/output error")

    patch_preadv(monkeypatch, broken)
    with pytest.raises(OSError) as caught:
        collect(path, 0, PIECE)
    assert caught.value.errno == errno.EIO
    assert NOWAIT.supported is None  # an I/O error says nothing about RWF_NOWAIT support


@pytest.mark.parametrize("nowait", [None, never_cached], ids=["cached", "cold"])
def test_file_shorter_than_the_range_is_an_error(
    monkeypatch: pytest.MonkeyPatch, blob_file: WriteBlob, nowait: Callable[..., int] | None
) -> None:
    path = blob_file(data_of(PIECE + 100))
    if nowait is not None:
        patch_preadv(monkeypatch, nowait)
    with pytest.raises(OSError, match="shorter than expected"):
        collect(path, 0, 2 * PIECE)


def test_cold_reads_read_ahead_one_piece_at_most(
    monkeypatch: pytest.MonkeyPatch, blob_file: WriteBlob
) -> None:
    data = data_of(6 * PIECE)
    path = blob_file(data)
    patch_preadv(monkeypatch, never_cached)
    in_flight, most = 0, 0
    lock = threading.Lock()
    real_fill = file_reader.fill

    def counting_fill(fd: int, view: memoryview, offset: int, try_cached: bool) -> tuple[int, bool]:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        try:
            return real_fill(fd, view, offset, try_cached)
        finally:
            with lock:
                in_flight -= 1

    monkeypatch.setattr(file_reader, "fill", counting_fill)
    submitted: list[int] = []
    real_submit = file_reader.reader_pool().submit

    class CountingPool:
        def submit(self, fn: Callable[..., tuple[int, bool]], *args: object) -> object:
            submitted.append(len(args[1]))  # type: ignore[arg-type]
            return real_submit(fn, *args)

    async def run() -> bytes:
        pieces = FilePieces(os.open(path, os.O_RDONLY), 0, len(data), pool=CountingPool())  # type: ignore[arg-type]
        out = bytearray()
        try:
            while pieces.remaining > 0:
                piece = await pieces.next()
                out += piece
                await asyncio.sleep(0)  # "sending": the read-ahead runs meanwhile
        finally:
            pieces.close()
        return bytes(out)

    assert asyncio.run(run()) == data
    assert most == 1
    assert submitted == [PIECE] * 6  # piece 1 after the failed nowait read, pieces 2-6 read ahead


def test_read_ahead_stops_once_the_file_is_cached(
    monkeypatch: pytest.MonkeyPatch, blob_file: WriteBlob
) -> None:
    data = data_of(5 * PIECE)
    path = blob_file(data)
    first = True

    def cold_only_first(fd: int, view: memoryview, offset: int) -> int:
        nonlocal first
        if first:
            first = False
            raise BlockingIOError(errno.EAGAIN, "would block")
        return REAL_PREADV(fd, [view], offset)

    log = patch_preadv(monkeypatch, cold_only_first)
    assert b"".join(collect(path, 0, len(data))) == data
    # piece 1: nowait fails, pool reads it; piece 2: read ahead, found cached; pieces 3-5 back on the loop
    on_loop_nowait = [name for nowait, name in log.calls if nowait and not name.startswith(POOL_PREFIX)]
    assert len(on_loop_nowait) == 4
    assert log.blocking_in_pool() == 1


def test_cancelled_response_closes_fd_only_after_the_running_read(
    monkeypatch: pytest.MonkeyPatch, blob_file: WriteBlob
) -> None:
    data = data_of(2 * PIECE)
    path = blob_file(data)
    patch_preadv(monkeypatch, never_cached)
    gate = GatedRead()
    monkeypatch.setattr(file_reader, "read_blocking", gate)
    fd = os.open(path, os.O_RDONLY)
    closes: list[int] = []
    fd_closed = threading.Event()
    real_close = os.close

    def recording_close(number: int) -> None:
        real_close(number)
        closes.append(number)
        if number == fd:
            fd_closed.set()

    monkeypatch.setattr(os, "close", recording_close)
    pieces = FilePieces(fd, 0, len(data))

    async def cancel_mid_read() -> None:
        task = asyncio.ensure_future(pieces.next())
        while not gate.started.is_set():
            await asyncio.sleep(0.001)  # let the task reach its pool read
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        pieces.close()
        pieces.close()  # idempotent

    asyncio.run(cancel_mid_read())
    assert not fd_closed.is_set()  # the pool thread is still reading it: closing now could reuse the number
    gate.release.set()
    assert fd_closed.wait(30)  # closed by the read's completion
    assert closes.count(fd) == 1


def test_close_before_any_read_closes_at_once(blob_file: WriteBlob) -> None:
    fd = os.open(blob_file(data_of(10)), os.O_RDONLY)
    FilePieces(fd, 0, 10).close()
    with pytest.raises(OSError) as caught:
        os.fstat(fd)
    assert caught.value.errno == errno.EBADF
