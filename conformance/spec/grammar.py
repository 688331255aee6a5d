r"""Repository name, tag and digest grammar, from distribution-spec `spec.md` and image-spec `descriptor.md`.

    name      := component ("/" component)*                       (spec.md, MUST)
    component := [a-z0-9]+ (separator [a-z0-9]+)*
    separator := "." | "_" | "__" | "-"+
    tag       := [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}                  (at most 128 characters)
    digest    := algorithm ":" encoded                              (descriptor.md)
    algorithm := algorithm-component (algorithm-separator algorithm-component)*
    algorithm-component := [a-z0-9]+
    algorithm-separator := [+._-]
    encoded   := [a-zA-Z0-9=_-]+

Registered algorithms constrain `encoded` further: sha256 and blake3 are 64 lower-case hex
characters, sha512 is 128. The grammar puts no limit on a name's length: many CLIENTS cap
`host[:port]/name` at 255 characters, and spec.md's non-normative implementers' note says registries
"should avoid" longer names (`within_client_length`), so a longer name is still a valid name.

A manifest `<reference>` is well-formed when it is a valid tag or a valid digest
(`is_well_formed_reference`); a digest of an unregistered algorithm (`md5:...`, `sha256+b64u:...`, even
`a:b`) is well-formed, a registered algorithm with the wrong encoding (`sha256:abc`) is not.

The `INVALID_*` mappings hold canonical counter-examples (reason -> value) for negative tests;
`VALID_*` tuples hold unusual but valid values that a registry must accept.
"""

from __future__ import annotations

import re

NAME_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
NAME_PATTERN = rf"{NAME_COMPONENT}(?:/{NAME_COMPONENT})*"
NAME_RE = re.compile(rf"\A{NAME_PATTERN}\Z")
NAME_MAX_LENGTH = 255
"""The cap many clients put on `host[:port]/name` (spec.md implementers' note; not part of the grammar)."""

TAG_PATTERN = r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}"
TAG_RE = re.compile(rf"\A{TAG_PATTERN}\Z")
TAG_MAX_LENGTH = 128

ALGORITHM_PATTERN = r"[a-z0-9]+(?:[+._-][a-z0-9]+)*"
ENCODED_PATTERN = r"[a-zA-Z0-9=_-]+"
DIGEST_PATTERN = rf"{ALGORITHM_PATTERN}:{ENCODED_PATTERN}"
DIGEST_RE = re.compile(rf"\A(?P<algorithm>{ALGORITHM_PATTERN}):(?P<encoded>{ENCODED_PATTERN})\Z")

REGISTERED_ALGORITHMS: dict[str, re.Pattern[str]] = {
    "sha256": re.compile(r"\A[a-f0-9]{64}\Z"),
    "sha512": re.compile(r"\A[a-f0-9]{128}\Z"),
    "blake3": re.compile(r"\A[a-f0-9]{64}\Z"),
}
"""Algorithms registered in image-spec `descriptor.md`, with the exact form of their encoded part."""


def is_valid_name(name: str) -> bool:
    """True when `name` matches the repository grammar (which has no length limit)."""
    return NAME_RE.match(name) is not None


def within_client_length(name: str, *, host: str | None = None) -> bool:
    """True when `host/name` (or `name`) is at most 255 characters, the cap many clients impose."""
    full_length = len(name) if host is None else len(host) + 1 + len(name)
    return full_length <= NAME_MAX_LENGTH


def is_valid_tag(tag: str) -> bool:
    """True when `tag` matches the tag grammar (which caps it at 128 characters)."""
    return TAG_RE.match(tag) is not None


def is_valid_digest(digest: str) -> bool:
    """True when `digest` matches the grammar and, for a registered algorithm, its encoded form."""
    match = DIGEST_RE.match(digest)
    if match is None:
        return False
    encoded_re = REGISTERED_ALGORITHMS.get(match["algorithm"])
    return encoded_re is None or encoded_re.match(match["encoded"]) is not None


def is_registered_digest(digest: str) -> bool:
    """True when `digest` is valid and uses a registered algorithm (sha256, sha512, blake3)."""
    return is_valid_digest(digest) and digest.split(":", 1)[0] in REGISTERED_ALGORITHMS


def split_digest(digest: str) -> tuple[str, str]:
    """Return `(algorithm, encoded)`; raise ValueError for a string outside the digest grammar."""
    match = DIGEST_RE.match(digest)
    if match is None:
        raise ValueError(f"not a digest: {digest!r}")
    return match["algorithm"], match["encoded"]


def is_well_formed_reference(reference: str) -> bool:
    """True when a manifest `<reference>` is a valid tag or a valid digest (unregistered algorithms too)."""
    return is_valid_tag(reference) or is_valid_digest(reference)


def is_digest_reference(reference: str) -> bool:
    """True when a manifest `<reference>` is meant as a digest (contains ':'), as opposed to a tag."""
    return ":" in reference


_HEX64 = "0123456789abcdef" * 4

VALID_NAMES: tuple[str, ...] = (
    "a",
    "library/busybox",
    "a.b_c__d---e",
    "x0/y1/z2/w3",
    "a" * 255,
    "a" * 300,
)
"""Unusual but valid repository names (the grammar has no length limit)."""

INVALID_NAMES: dict[str, str] = {
    "upper-case": "Library/busybox",
    "double dot": "a..b",
    "leading separator": "-abc",
    "leading slash": "/abc",
    "trailing separator": "abc_",
    "trailing slash": "abc/",
    "empty component": "a//b",
    "triple underscore": "a___b",
    "mixed separators": "a._b",
    "illegal character": "a!b",
}
"""Repository names outside the grammar (reason -> name)."""

VALID_TAGS: tuple[str, ...] = ("latest", "_", "v1.0.0-rc.1_x", "A" * 128, "0")
"""Unusual but valid tags."""

INVALID_TAGS: dict[str, str] = {
    "129 characters": "a" * 129,
    "leading dot": ".hidden",
    "leading dash": "-x",
    "illegal character": "a+b",
    "colon": "a:b",
    "empty": "",
}
"""Tags outside the grammar (reason -> tag); `a:b` is still a well-formed digest reference."""

INVALID_DIGESTS: dict[str, str] = {
    "upper-case hex": "sha256:" + _HEX64.upper(),
    "sha256 too short": "sha256:" + _HEX64[:63],
    "sha256 too long": "sha256:" + _HEX64 + "0",
    "sha512 wrong length": "sha512:" + _HEX64,
    "non-hex sha256": "sha256:" + "g" * 64,
    "no algorithm": ":" + _HEX64,
    "no encoded part": "sha256:",
    "no colon": "sha256" + _HEX64,
    "upper-case algorithm": "SHA256:" + _HEX64,
    "illegal character": "sha256:" + _HEX64[:63] + "!",
}
"""Digests outside the grammar or the registered encoding (reason -> digest)."""

UNKNOWN_ALGORITHM_DIGESTS: dict[str, str] = {
    "unknown algorithm": "md5:" + _HEX64[:32],
    "unknown algorithm with separator": "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
}
"""Well-formed digests of unregistered algorithms: valid by the grammar, unsupported by most registries."""
