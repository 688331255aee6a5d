"""Parsing `Link` headers (RFC 8288, formerly RFC 5988) for pagination: `<url>; rel="next"`.

The tags list, catalog and referrers APIs paginate with `Link: <...>; rel="next"`. A header may hold
several comma-separated links, URLs may contain commas or semicolons inside `<...>`, parameters may
be quoted or not, and `rel` may list several space-separated relation types. Targets may be
relative and are resolved against the request URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from conformance.client.urls import resolve_location


class LinkHeaderError(ValueError):
    """A `Link` header that does not follow the RFC 8288 syntax."""


@dataclass(frozen=True)
class Link:
    """One link: its target URI (as written) and its parameters (names lower-cased)."""

    target: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def rels(self) -> tuple[str, ...]:
        """The relation types of the `rel` parameter, lower-cased."""
        return tuple(self.params.get("rel", "").lower().split())


def parse_link_header(value: str) -> list[Link]:
    """Parse one `Link` header value into links; raise `LinkHeaderError` on bad syntax."""
    links: list[Link] = []
    position = 0
    length = len(value)
    while True:
        position = _skip(value, position, " \t,")
        if position >= length:
            return links
        if value[position] != "<":
            raise LinkHeaderError(f"expected '<' at offset {position} of {value!r}")
        end = value.find(">", position)
        if end < 0:
            raise LinkHeaderError(f"unterminated '<' in {value!r}")
        target = value[position + 1 : end].strip()
        position = end + 1
        params: dict[str, str] = {}
        while True:
            position = _skip(value, position, " \t")
            if position >= length or value[position] == ",":
                break
            if value[position] != ";":
                raise LinkHeaderError(f"expected ';' or ',' at offset {position} of {value!r}")
            position = _skip(value, position + 1, " \t")
            name_start = position
            while position < length and value[position] not in "=;, \t":
                position += 1
            name = value[name_start:position].lower()
            if not name:
                raise LinkHeaderError(f"empty parameter name at offset {name_start} of {value!r}")
            position = _skip(value, position, " \t")
            param_value = ""
            if position < length and value[position] == "=":
                position = _skip(value, position + 1, " \t")
                param_value, position = _read_value(value, position)
            params.setdefault(name, param_value)
        links.append(Link(target, params))


def _skip(value: str, position: int, characters: str) -> int:
    while position < len(value) and value[position] in characters:
        position += 1
    return position


def _read_value(value: str, position: int) -> tuple[str, int]:
    if position < len(value) and value[position] == '"':
        chars: list[str] = []
        position += 1
        while position < len(value):
            char = value[position]
            if char == "\\" and position + 1 < len(value):
                chars.append(value[position + 1])
                position += 2
                continue
            if char == '"':
                return "".join(chars), position + 1
            chars.append(char)
            position += 1
        raise LinkHeaderError(f"unterminated quoted string in {value!r}")
    start = position
    while position < len(value) and value[position] not in ";, \t":
        position += 1
    return value[start:position], position


def next_link(header_values: Iterable[str], request_url: str) -> str | None:
    """The absolute URL of the first `rel="next"` link among `header_values`, or None."""
    for header in header_values:
        for link in parse_link_header(header):
            if "next" in link.rels:
                return resolve_location(request_url, link.target)
    return None
