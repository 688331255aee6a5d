"""Blob GET/HEAD (with single byte ranges) and DELETE."""

from __future__ import annotations

import os

from reference_server.errors import OciError
from reference_server.handlers.base import Context, deletes_enabled, not_modified, valid_digest, valid_name
from reference_server.messages import FileResponse, Request, Response
from reference_server.routes import Match

OCTET_STREAM = b"application/octet-stream"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single ``bytes=`` range; None: serve the whole blob; ValueError: unsatisfiable.

    ``bytes=a-b`` (b clamped to size-1), ``bytes=a-`` and suffix ``bytes=-n``. Multi-range or non-byte
    units are ignored (full 200, as RFC 9110 allows); malformed specs too.
    """
    if header is None:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    if not dash:
        return None
    first_text, last_text = first_text.strip(), last_text.strip()
    if not (first_text.isdigit() or first_text == "") or not (last_text.isdigit() or last_text == ""):
        return None
    if first_text == "":
        if last_text == "":
            return None
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise ValueError("empty suffix range")
        return max(0, size - suffix), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last < first or first >= size:
        raise ValueError("range not satisfiable")
    return first, min(last, size - 1)


async def get_blob(ctx: Context, request: Request, match: Match) -> FileResponse | Response:
    """GET/HEAD ``/v2/<name>/blobs/<digest>``."""
    name = valid_name(match.name)
    digest = valid_digest(match.reference)
    digest_text = str(digest).encode()
    etag = b'"%s"' % digest_text
    if not_modified(request, etag):
        ctx.storage.blobs.size_in(name, digest)  # 404 when the blob is not here
        return Response(304, [(b"docker-content-digest", digest_text), (b"etag", etag)])
    fd, size = ctx.storage.blobs.open_in(name, digest)
    try:
        wanted = parse_range(request.header(b"range"), size)
    except ValueError:
        os.close(fd)
        raise OciError(
            "SIZE_INVALID",
            "requested range not satisfiable",
            {"size": size},
            status=416,
            headers=[(b"content-range", b"bytes */%d" % size)],
        ) from None
    headers = [
        (b"content-type", OCTET_STREAM),
        (b"docker-content-digest", digest_text),
        (b"accept-ranges", b"bytes"),
        (b"etag", etag),
    ]
    if wanted is None:
        return FileResponse(200, headers, fd, 0, size)
    first, last = wanted
    headers.append((b"content-range", b"bytes %d-%d/%d" % (first, last, size)))
    return FileResponse(206, headers, fd, first, last - first + 1)


async def delete_blob(ctx: Context, request: Request, match: Match) -> Response:
    """DELETE ``/v2/<name>/blobs/<digest>``: unlink the blob from the repository."""
    name = valid_name(match.name)
    digest = valid_digest(match.reference)
    deletes_enabled(ctx)
    ctx.storage.blobs.unlink(name, digest)
    return Response(202, [(b"docker-content-digest", str(digest).encode())])
