"""Path parsing: which endpoint a request path names (names contain slashes, so parse from the right).

Routes (``<name>`` = one or more '/'-separated components, validated later by the handler):

    /v2/                                   BASE         GET HEAD
    /v2/_catalog                           CATALOG      GET
    /v2/<name>/tags/list                   TAGS         GET
    /v2/<name>/manifests/<reference>       MANIFEST     GET HEAD PUT DELETE
    /v2/<name>/blobs/uploads/              UPLOADS      POST            (trailing slash optional)
    /v2/<name>/blobs/uploads/<uuid>        UPLOAD       GET PATCH PUT DELETE
    /v2/<name>/blobs/<digest>              BLOB         GET HEAD DELETE
    /v2/<name>/referrers/<digest>          REFERRERS    GET

Matching works on the raw path (ASGI ``raw_path``): split on '/', then percent-decode each segment once.
Nothing here touches the disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from urllib.parse import unquote


class Route(Enum):
    """The endpoints of the Distribution API served here."""

    BASE = "base"
    CATALOG = "catalog"
    TAGS = "tags"
    MANIFEST = "manifest"
    UPLOADS = "uploads"
    UPLOAD = "upload"
    BLOB = "blob"
    REFERRERS = "referrers"


ALLOWED: dict[Route, tuple[str, ...]] = {
    Route.BASE: ("GET", "HEAD"),
    Route.CATALOG: ("GET",),
    Route.TAGS: ("GET",),
    Route.MANIFEST: ("GET", "HEAD", "PUT", "DELETE"),
    Route.UPLOADS: ("POST",),
    Route.UPLOAD: ("GET", "PATCH", "PUT", "DELETE"),
    Route.BLOB: ("GET", "HEAD", "DELETE"),
    Route.REFERRERS: ("GET",),
}


@dataclass(frozen=True, slots=True)
class Match:
    """A matched route: the raw (unvalidated) repository name and the trailing reference, if any."""

    route: Route
    name: str = ""
    reference: str = ""


def match(raw_path: str) -> Match | None:
    """The route the raw (still percent-encoded) request path names, or None for an unknown path.

    The path is split on literal '/' first and each segment is percent-decoded exactly once afterwards,
    so an encoded slash or dot (``%2F``, ``%2e%2e``) stays inside its segment: in a name it is then
    refused by the name grammar, in a tag by the tag grammar, in a session id by the id grammar.
    """
    segments = raw_path.split("/")
    if len(segments) < 3 or segments[0] != "" or segments[1] != "v2":
        return None
    parts = [unquote(segment) if "%" in segment else segment for segment in segments[2:]]
    count = len(parts)
    if count == 1 and parts[0] == "":
        return Match(Route.BASE)
    if count == 1 and parts[0] == "_catalog":
        return Match(Route.CATALOG)
    if count >= 3 and parts[-2] == "tags" and parts[-1] == "list":
        return Match(Route.TAGS, "/".join(parts[:-2]))
    if count >= 4 and parts[-3] == "blobs" and parts[-2] == "uploads":
        name = "/".join(parts[:-3])
        return Match(Route.UPLOADS, name) if parts[-1] == "" else Match(Route.UPLOAD, name, parts[-1])
    if count >= 3 and parts[-2] == "blobs" and parts[-1] == "uploads":
        return Match(Route.UPLOADS, "/".join(parts[:-2]))
    if count >= 3 and parts[-2] in _REFERENCE_ROUTES:
        return Match(_REFERENCE_ROUTES[parts[-2]], "/".join(parts[:-2]), parts[-1])
    return None


_REFERENCE_ROUTES = {"blobs": Route.BLOB, "manifests": Route.MANIFEST, "referrers": Route.REFERRERS}
