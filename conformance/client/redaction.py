"""Removing credentials from what the transcript records: headers, URLs and token-response bodies.

Rules: `Authorization` / `Proxy-Authorization` keep their scheme (`Bearer <redacted>`); cookies
are redacted; a password in a URL's userinfo is replaced; in JSON bodies the values of `token`,
`access_token`, `refresh_token`, `id_token` and `password` are replaced. Query strings (upload
`_state` values, scopes) are kept: they are not credentials and checks need them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "<redacted>"
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-registry-auth"}
)
SECRET_JSON_KEYS = frozenset({"token", "access_token", "refresh_token", "id_token", "password", "secret"})
_USERINFO_RE = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:@/]*):(?P<password>[^@/]*)@")


def redact_header(name: str, value: str) -> str:
    """Return `value`, or its redacted form when `name` carries credentials."""
    lowered = name.lower()
    if lowered not in SECRET_HEADERS:
        return value
    if lowered in ("authorization", "proxy-authorization"):
        scheme, _, rest = value.partition(" ")
        return f"{scheme} {REDACTED}" if rest else REDACTED
    return REDACTED


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Redact a sequence of `(name, value)` header pairs."""
    return [(name, redact_header(name, value)) for name, value in headers]


def redact_url(url: str) -> str:
    """Replace a password in the URL's userinfo (`https://user:<redacted>@host/...`)."""
    return _USERINFO_RE.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", url)


def redact_json_value(document: Any) -> Any:
    """A copy of a decoded JSON value with secret-named keys' values replaced, at any depth."""
    if isinstance(document, dict):
        return {
            key: (
                REDACTED
                if key.lower() in SECRET_JSON_KEYS and value not in (None, "")
                else redact_json_value(value)
            )
            for key, value in document.items()
        }
    if isinstance(document, list):
        return [redact_json_value(item) for item in document]
    return document


REDACT_JSON_LIMIT = 256 * 1024
"""JSON bodies larger than this are not parsed for secrets (token responses are small)."""


def redact_body(body: bytes) -> bytes:
    """Redact secret values in a JSON body; non-JSON (or huge) bodies are returned unchanged."""
    if len(body) > REDACT_JSON_LIMIT or not body[:64].lstrip().startswith((b"{", b"[")):
        return body
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return body
    redacted = redact_json_value(document)
    if redacted == document:
        return body
    return json.dumps(redacted).encode("utf-8")
