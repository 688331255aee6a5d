"""The raw ASGI application: route, dispatch to a handler, render errors in one place, send the answer.

Error handling: handlers raise `OciError` (bad input) or let domain errors from the stores propagate;
`_answer` turns both into the OCI envelope via `errors.render` (the only renderer). Anything else is a
genuine bug: logged with its traceback and answered 500 ``UNKNOWN``. HEAD answers never carry a body.
Blob bodies are sent from the open file in 1 MiB pieces with ``more_body``; `file_reader.FilePieces`
reads them without blocking the event loop on the disk (cached reads on the loop, cold ones in a thread).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from reference_server import auth, errors
from reference_server.config import Config
from reference_server.errors import OciError
from reference_server.file_reader import FilePieces
from reference_server.handlers import blobs, listing, manifests, referrers, uploads
from reference_server.handlers.base import API_VERSION_HEADER, Context, ping
from reference_server.messages import Answer, FileResponse, Request, Response
from reference_server.routes import ALLOWED, Match, Route, match
from reference_server.storage import Storage
from reference_server.storage.errors import ClientDisconnectedError, StorageError

log = logging.getLogger("reference_server")

WATCH_DISCONNECT_ABOVE = 8 << 20
Handler = Callable[[Context, Request, Match], Awaitable[Answer]]

HANDLERS: dict[tuple[Route, str], Handler] = {
    (Route.BASE, "GET"): ping,
    (Route.BASE, "HEAD"): ping,
    (Route.CATALOG, "GET"): listing.catalog,
    (Route.TAGS, "GET"): listing.list_tags,
    (Route.MANIFEST, "GET"): manifests.get_manifest,
    (Route.MANIFEST, "HEAD"): manifests.get_manifest,
    (Route.MANIFEST, "PUT"): manifests.put_manifest,
    (Route.MANIFEST, "DELETE"): manifests.delete_manifest,
    (Route.BLOB, "GET"): blobs.get_blob,
    (Route.BLOB, "HEAD"): blobs.get_blob,
    (Route.BLOB, "DELETE"): blobs.delete_blob,
    (Route.UPLOADS, "POST"): uploads.start_upload,
    (Route.UPLOAD, "GET"): uploads.upload_status,
    (Route.UPLOAD, "PATCH"): uploads.patch_upload,
    (Route.UPLOAD, "PUT"): uploads.finish_upload,
    (Route.UPLOAD, "DELETE"): uploads.cancel_upload,
    (Route.REFERRERS, "GET"): referrers.list_referrers,
}


class RegistryApp:
    """ASGI callable serving the Distribution API from one data directory."""

    def __init__(self, config: Config) -> None:
        tune_malloc()
        self.config = config
        storage = Storage.open(config.data_dir, upload_timeout=config.upload_timeout, fsync=config.fsync)
        self.context = Context(config, storage)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """ASGI entry point."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive, body_idle_timeout=self.config.upload_timeout)
        try:
            answer = await self._dispatch(request)
        except ClientDisconnectedError:
            return
        await _send(send, receive, request.method == "HEAD", answer)

    async def _dispatch(self, request: Request) -> Answer:
        raw_path = request.scope.get("raw_path")
        route = match(raw_path.decode("latin-1") if raw_path else request.path)
        if route is None:
            rendered = errors.render_not_found_route()
            return Response(rendered.status, rendered.headers, rendered.body)
        handler = HANDLERS.get((route.route, request.method))
        try:
            if handler is None:
                allowed = ", ".join(ALLOWED[route.route]).encode()
                raise OciError(
                    "UNSUPPORTED",
                    f"method {request.method} not allowed here",
                    {"allowed": list(ALLOWED[route.route])},
                    headers=[(b"allow", allowed)],
                )
            return await handler(self.context, request, route)
        except ClientDisconnectedError:
            raise
        except OciError as exc:
            rendered = errors.render(exc)
        except StorageError as exc:
            rendered = errors.render(errors.translate(exc))
        except Exception:
            log.exception("unhandled error for %s %s", request.method, request.path)
            rendered = errors.render_bug()
        return Response(rendered.status, rendered.headers, rendered.body)


async def _send(send: Any, receive: Any, head: bool, answer: Answer) -> None:
    headers = answer.headers
    headers.append(API_VERSION_HEADER)
    if isinstance(answer, Response):
        if answer.status not in (204, 304) and not any(k == b"content-length" for k, _ in headers):
            headers.append((b"content-length", str(len(answer.body)).encode()))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else answer.body})
        return
    await _send_file(send, receive, head, answer)


async def _send_file(send: Any, receive: Any, head: bool, answer: FileResponse) -> None:
    """Stream the file range piece by piece; stop early if the client goes away (large bodies only).

    The pieces come from `FilePieces` (file_reader.py), which never blocks the loop on the disk and owns
    the fd: it is closed here however the response ends, even when cancelled while a read is running.
    """
    pieces = FilePieces(answer.fd, answer.offset, answer.length)
    watcher: asyncio.Task[None] | None = None
    gone = asyncio.Event()
    try:
        answer.headers.append((b"content-length", str(answer.length).encode()))
        await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
        if head or answer.length == 0:
            await send({"type": "http.response.body", "body": b""})
            return
        if answer.length > WATCH_DISCONNECT_ABOVE:
            watcher = asyncio.ensure_future(_watch_disconnect(receive, gone))
        while pieces.remaining > 0 and not gone.is_set():
            piece = await pieces.next()
            await send({"type": "http.response.body", "body": piece, "more_body": pieces.remaining > 0})
    finally:
        pieces.close()
        if watcher is not None:
            watcher.cancel()


async def _watch_disconnect(receive: Any, gone: asyncio.Event) -> None:
    """Set `gone` when the server reports the client's disconnect (uvicorn's send is silent then)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def tune_malloc() -> None:
    """Keep freed 1 MiB body buffers in the heap instead of mmap/munmap per chunk (glibc only).

    Every received body piece is a fresh bytes object of ~64 KiB-1 MiB. glibc serves such sizes with mmap
    and returns them with munmap, so each piece costs page faults and page zeroing; raising the mmap and
    trim thresholds lets the allocator reuse the same memory. Measured on 3 x 256 MiB pushes: 155,000
    page faults without, under 1,000 with. A no-op where glibc's mallopt is not available.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 128 << 20)


def create_app() -> Any:
    """App factory for uvicorn workers: configuration comes from the environment (see config.py).

    With ``--auth basic|token`` the app is wrapped in the auth middleware (reference_server/auth).
    """
    config = Config.from_env()
    return auth.wrap(RegistryApp(config), config)
