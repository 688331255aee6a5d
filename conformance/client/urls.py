"""URL handling the way registries need it: `Location` resolution and query appending kept verbatim.

Upload `Location`s may be relative or absolute and may carry opaque query parameters (distribution
signs its `_state` there). Those must be sent back byte for byte, so nothing here re-encodes an
existing query: `resolve_location` uses RFC 3986 reference resolution (`urljoin`), and
`append_query` adds `name=value` with `&` or `?` to the string as it is.
"""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit


def resolve_location(request_url: str, location: str) -> str:
    """Resolve a (possibly relative) `Location` against the URL of the request that returned it."""
    return urljoin(request_url, location.strip())


def append_query(url: str, name: str, value: str) -> str:
    """Append `name=value` to `url`'s query without touching what is already there.

    `value` is percent-encoded except for `:` `,` `=` `*` `/` (digests, scopes); `+` is encoded
    because servers decode it as a space. A `#fragment` (never expected) stays at the end.
    """
    base, hash_mark, fragment = url.partition("#")
    if "?" not in base:
        separator = "?"
    elif base.endswith(("?", "&")):
        separator = ""
    else:
        separator = "&"
    encoded = f"{quote(name, safe='')}={quote(value, safe=':,=*/')}"
    return f"{base}{separator}{encoded}{hash_mark}{fragment}"


def origin_of(url: str) -> tuple[str, str, int | None]:
    """`(scheme, host, port)` with default ports filled in: two URLs share an origin when these match."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def same_origin(first: str, second: str) -> bool:
    """True when both URLs have the same scheme, host and port."""
    return origin_of(first) == origin_of(second)


def join_path(base_url: str, path: str) -> str:
    """`base_url` (scheme://host[:port][/prefix]) plus an absolute API path such as `/v2/`."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")
