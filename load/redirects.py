"""Following redirects in load runs (RFC 9110 section 15.4), the way a registry client must.

A registry may answer a blob GET or HEAD with 301/302/303/307/308 to a presigned URL on object storage
(another origin). The load users follow such answers for GET and HEAD (`next_hop`), at most
`MAX_REDIRECTS` hops per request; the method stays what it was (a 303 asks for a retrieval: GET stays
GET, HEAD stays HEAD), other request headers (Accept, Range) go along. The registry's `Authorization`
goes only to the registry's own origin (`same_origin`: scheme, host and port all equal, default ports
filled in): a presigned URL carries its own authority, and a registry token sent to a storage service
would leak it. Upload `Location`s are not redirects and stay on the target (`users/base.py`).
This module never imports locust.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
FOLLOWED_METHODS = frozenset({"GET", "HEAD"})
MAX_REDIRECTS = 5
REDIRECTED_SUFFIX = " (redirected)"
"""A followed hop's stats row: the request's row name plus this (`/v2/[repo]/blobs/[digest] (redirected)`)."""
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of an absolute URL, lower case, the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port if port is not None else DEFAULT_PORTS.get(scheme)


def same_origin(a: str, b: str) -> bool:
    """Whether two absolute URLs share scheme, host and port (RFC 6454 origins)."""
    return origin(a) == origin(b)


def is_followed(method: str, status: int, location: str | None) -> bool:
    """Whether an answer is a redirect the load users follow: GET/HEAD, a 3xx listed above, a Location."""
    return method in FOLLOWED_METHODS and status in REDIRECT_STATUSES and bool(location)


def next_hop(current: str, location: str) -> str:
    """The absolute URL a `Location` (absolute, or relative to the URL it answered) points to."""
    return urljoin(current, location.strip())
