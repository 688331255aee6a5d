"""Shared handler context, URL-value validation (grammar -> OCI code) and the ``/v2/`` ping."""

from __future__ import annotations

from dataclasses import dataclass

from reference_server.config import Config
from reference_server.errors import OciError
from reference_server.grammar import (
    Digest,
    GrammarError,
    RepositoryName,
    Tag,
    parse_digest,
    parse_name,
    parse_tag,
)
from reference_server.messages import Request, Response
from reference_server.routes import Match
from reference_server.storage import Storage

API_VERSION_HEADER = (b"docker-distribution-api-version", b"registry/2.0")


@dataclass
class Context:
    """What every handler may use: the configuration and the stores."""

    config: Config
    storage: Storage


def valid_name(raw: str) -> RepositoryName:
    """The repository name from the URL, or 400 NAME_INVALID."""
    try:
        return parse_name(raw)
    except GrammarError as exc:
        raise OciError("NAME_INVALID", str(exc), {"name": raw[:300]}) from None


def valid_digest(raw: str) -> Digest:
    """A digest from the URL or a query parameter, or 400 DIGEST_INVALID."""
    try:
        return parse_digest(raw)
    except GrammarError as exc:
        raise OciError("DIGEST_INVALID", str(exc), {"digest": raw[:300]}) from None


def valid_tag(raw: str) -> Tag:
    """A tag from the URL or a ``?tag=`` parameter, or 400 MANIFEST_INVALID (see errors.py)."""
    try:
        return parse_tag(raw)
    except GrammarError as exc:
        raise OciError("MANIFEST_INVALID", str(exc), {"tag": raw[:300]}) from None


def deletes_enabled(ctx: Context) -> None:
    """Raise 405 UNSUPPORTED when the server runs with --no-delete."""
    if not ctx.config.delete_enabled:
        raise OciError("UNSUPPORTED", "deletes are disabled on this registry (--no-delete)")


def not_modified(request: Request, etag: bytes) -> bool:
    """True when ``If-None-Match`` names `etag` (or ``*``): the client's copy is current (RFC 9110 13.1.2)."""
    header = request.header(b"if-none-match")
    if header is None:
        return False
    tags = {item.strip().removeprefix("W/") for item in header.split(",")}
    return "*" in tags or etag.decode() in tags


async def ping(ctx: Context, request: Request, match: Match) -> Response:
    """``GET /v2/``: 200 means the Distribution API is implemented."""
    return Response(200, [(b"content-type", b"application/json")], b"{}")
