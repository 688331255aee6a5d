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

The path is the ASGI ``path`` (percent-decoded exactly once by the server); nothing here touches the disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


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


def match(path: str) -> Match | None:
    """The route `path` names, or None for an unknown path."""
    if path in ("/v2/", "/v2"):
        return Match(Route.BASE)
    if not path.startswith("/v2/"):
        return None
    if path == "/v2/_catalog":
        return Match(Route.CATALOG)
    parts = path[4:].split("/")
    count = len(parts)
    if count >= 3 and parts[-2] == "tags" and parts[-1] == "list":
        return Match(Route.TAGS, "/".join(parts[:-2]))
    if count >= 4 and parts[-3] == "blobs" and parts[-2] == "uploads":
        name = "/".join(parts[:-3])
        return Match(Route.UPLOADS, name) if parts[-1] == "" else Match(Route.UPLOAD, name, parts[-1])
    if count >= 3 and parts[-2] == "blobs" and parts[-1] == "uploads":
        return Match(Route.UPLOADS, "/".join(parts[:-2]))
    if count >= 3 and parts[-2] in ("blobs", "manifests", "referrers"):
        route = {"blobs": Route.BLOB, "manifests": Route.MANIFEST, "referrers": Route.REFERRERS}[parts[-2]]
        return Match(route, "/".join(parts[:-2]), parts[-1])
    return None
