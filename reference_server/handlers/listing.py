"""Tag list and catalog: ASCII order, ``n`` / ``last`` pagination with an RFC 5988 ``Link`` header."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from reference_server.errors import OciError
from reference_server.handlers.base import Context, valid_name
from reference_server.messages import Request, Response
from reference_server.routes import Match


def _page_size(request: Request) -> int | None:
    raw = request.param("n")
    if raw is None:
        return None
    if not raw.isdigit():
        raise OciError("UNSUPPORTED", "n must be a non-negative integer", {"n": raw[:100]}, status=400)
    return int(raw)


def paginate(items: list[str], request: Request, base: str) -> tuple[list[str], list[tuple[bytes, bytes]]]:
    """The page of sorted `items` selected by ``n``/``last`` and the ``Link`` header for the next page."""
    size = _page_size(request)
    last = request.param("last")
    if last is not None:
        items = [item for item in items if item > last]
    if size is None:
        return items, []
    page = items[:size]
    if size == 0 or len(items) <= size:
        return page, []
    link = f'<{base}?{urlencode({"n": size, "last": page[-1]})}>; rel="next"'
    return page, [(b"link", link.encode())]


def _json(document: object, headers: list[tuple[bytes, bytes]]) -> Response:
    return Response(200, [(b"content-type", b"application/json"), *headers], json.dumps(document).encode())


async def list_tags(ctx: Context, request: Request, match: Match) -> Response:
    """GET ``/v2/<name>/tags/list``."""
    name = valid_name(match.name)
    _page_size(request)
    tags = ctx.storage.manifests.tags(name)
    page, headers = paginate(tags, request, f"/v2/{name}/tags/list")
    return _json({"name": name, "tags": page}, headers)


async def catalog(ctx: Context, request: Request, match: Match) -> Response:
    """GET ``/v2/_catalog``."""
    _page_size(request)
    page, headers = paginate(ctx.storage.manifests.catalog(), request, "/v2/_catalog")
    return _json({"repositories": page}, headers)
