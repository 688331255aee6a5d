"""Large request bodies read straight from the socket: one helper thread receives, hashes and appends.

The ASGI path (`digests.pump` over ``receive``) costs about as much CPU as hashing the blob: several
copies of every byte, an event-loop wake-up and an ASGI message per piece, and hand-offs between the loop
and the hashing and writing helpers. `DirectBody` asks the connection (``http_protocol.BodyHandOver``)
for the rest of a ``Content-Length`` body and, when it gets it, one helper thread runs the tightest loop
the job allows: ``readv`` from the socket into a reused 1 MiB buffer (`PIECE`; the one copy out of the
kernel), feed the same buffer to the hasher while it is still in the CPU cache, and ``write`` it to the
file (the one copy into the page cache). The event loop is not involved until the body ends, so it
keeps serving other requests; hashlib, ``readv`` and ``write`` release the GIL.

It falls back to the ASGI stream (so behaviour never depends on the fast path) when the server offers no
hand-over, when less than `DIRECT_MIN` bytes remain on the socket, and when all `MAX_DIRECT` helper
threads are busy (a burst of slow uploads can therefore never make others wait for a thread).

Ending early: the client closing or resetting the connection, or sending nothing for `idle_timeout`
seconds, raises `ClientDisconnectedError` and closes the connection; any other error (a failed write)
propagates unchanged and the connection closes after the answer. Either way the store sees the same
errors as on the ASGI path and truncates or deletes what it wrote. A cancelled request stops the thread
(within `POLL_SECONDS`) before the cancellation goes on, so no thread ever writes to a closed fd.
"""

from __future__ import annotations

import asyncio
import functools
import os
import select
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor

from reference_server.digests import HashingWriter, pump
from reference_server.http_protocol import BodyHandOver, TakenBody
from reference_server.storage.errors import ClientDisconnectedError

PIECE = 1 << 20
DIRECT_MIN = 1 << 20
MAX_DIRECT = 32
POLL_SECONDS = 0.5
WAIT_EVENTS = select.POLLIN | select.POLLRDHUP | select.POLLERR | select.POLLHUP

_slots = threading.BoundedSemaphore(MAX_DIRECT)
_buffers = threading.local()


class ClientGoneError(Exception):
    """The client closed, reset or stalled the connection before the body ended."""


class StoppedError(Exception):
    """The request was cancelled while its body was being read."""


@functools.cache
def _helpers() -> ThreadPoolExecutor:
    """The helper threads (as many as there are slots, so a body never queues for one)."""
    return ThreadPoolExecutor(MAX_DIRECT, thread_name_prefix="direct-body")


def _buffer() -> memoryview:
    """The calling helper thread's reusable receive buffer."""
    view: memoryview | None = getattr(_buffers, "view", None)
    if view is None:
        view = memoryview(bytearray(PIECE))
        _buffers.view = view
    return view


class SocketCopy:
    """Copies the rest of one body from a non-blocking socket into a `HashingWriter` (a helper thread)."""

    __slots__ = ("fd", "idle_timeout", "stop")

    def __init__(self, fd: int, idle_timeout: float) -> None:
        self.fd = fd
        self.idle_timeout = idle_timeout
        self.stop = threading.Event()

    def run(self, head: bytes, remaining: int, writer: HashingWriter) -> None:
        """Write `head`, then exactly `remaining` bytes read from the socket, into `writer`."""
        if head:
            writer.write(head)
        view = _buffer()
        poller: select.poll | None = None
        last_data = time.monotonic()
        while remaining > 0:
            if self.stop.is_set():
                raise StoppedError()
            try:
                count = os.readv(self.fd, [view if remaining >= len(view) else view[:remaining]])
            except BlockingIOError:
                if poller is None:
                    poller = select.poll()
                    poller.register(self.fd, WAIT_EVENTS)
                self._wait_readable(poller, last_data)
                continue
            except (ConnectionError, TimeoutError):
                raise ClientGoneError() from None
            if count == 0:
                raise ClientGoneError()
            last_data = time.monotonic()
            writer.write(view[:count])
            remaining -= count

    def _wait_readable(self, poller: select.poll, since: float) -> None:
        """Block until the socket has something (data, EOF, error); StoppedError / ClientGoneError else."""
        while not poller.poll(int(POLL_SECONDS * 1000)):
            if self.stop.is_set():
                raise StoppedError()
            if time.monotonic() - since > self.idle_timeout:
                raise ClientGoneError()


async def _join(future: Future[None], stop: threading.Event) -> None:
    """Wait for the helper; if this request is cancelled, stop the helper and wait for it first."""
    waiting = asyncio.wrap_future(future)
    try:
        await asyncio.shield(waiting)
    except asyncio.CancelledError:
        if waiting.done():
            raise
        stop.set()
        while not waiting.done():
            try:
                await asyncio.shield(waiting)
            except asyncio.CancelledError:
                continue
            except BaseException:
                break
        raise


class DirectBody:
    """A request body read from the socket when the connection hands it over, else from the ASGI stream."""

    __slots__ = ("fallback", "hand_over", "idle_timeout")

    def __init__(self, hand_over: BodyHandOver, fallback: AsyncIterator[bytes], idle_timeout: float) -> None:
        self.hand_over = hand_over
        self.fallback = fallback
        self.idle_timeout = idle_timeout

    async def write_to(self, writer: HashingWriter) -> None:
        """Write the whole body into `writer` (see the module docstring for when it leaves the ASGI path)."""
        taken = None
        if _slots.acquire(blocking=False):
            taken = self.hand_over.take(DIRECT_MIN)
            if taken is None:
                _slots.release()  # a body on the ASGI path holds no helper slot
        if taken is None:
            await pump(self.fallback, writer)
            return
        try:
            await self._copy(taken, writer)
        finally:
            _slots.release()

    async def _copy(self, taken: TakenBody, writer: HashingWriter) -> None:
        copy = SocketCopy(taken.fd, self.idle_timeout)
        job = _helpers().submit(copy.run, taken.head, taken.remaining, writer)
        try:
            await _join(job, copy.stop)
        except ClientGoneError:
            self.hand_over.abandon(client_gone=True)
            raise ClientDisconnectedError() from None
        except BaseException:
            self.hand_over.abandon(client_gone=False)
            raise
        self.hand_over.finish()
