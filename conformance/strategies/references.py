"""Strategies for repository names, tags, digests and references, valid and invalid.

Valid values come from `conformance.spec.strategies`. Invalid ones are `InvalidValue(value, reason)`:
the reason ("upper-case hex", "sha512 with 64 hex characters", "129 characters", ...) shows in a
failure message next to the value, so a shrunk example explains itself. Invalid values stay within
URL-path-safe characters so they reach the registry's grammar check instead of changing the request's
path. Digests cover every registered algorithm (sha256, sha512, blake3): right and wrong lengths,
upper-case hex, non-hex characters, and grammatical digests of unregistered algorithms.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.spec import strategies as spec_strategies
from conformance.spec.grammar import (
    NAME_RE,
    REGISTERED_ALGORITHMS,
    is_valid_digest,
    is_valid_name,
    is_valid_tag,
)

HEX_LENGTHS: dict[str, int] = {"sha256": 64, "sha512": 128, "blake3": 64}
"""Length of the lower-case hex encoding of each registered algorithm (image-spec descriptor.md)."""


@dataclass(frozen=True)
class InvalidValue:
    """A value outside the grammar, with why it is invalid."""

    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.value!r} ({self.reason})"


def repository_names(max_components: int = 3) -> st.SearchStrategy[str]:
    """Valid repository names (1 to `max_components` components)."""
    return spec_strategies.repository_names(max_components)


def tags() -> st.SearchStrategy[str]:
    """Valid tags, 1 to 128 characters."""
    return spec_strategies.tags()


def _hex(length: int) -> st.SearchStrategy[str]:
    return st.text("0123456789abcdef", min_size=length, max_size=length)


def valid_digests(algorithms: tuple[str, ...] = ("sha256", "sha512", "blake3")) -> st.SearchStrategy[str]:
    """Well-formed digests of registered algorithms (of content that almost surely does not exist)."""
    return st.sampled_from(algorithms).flatmap(lambda name: _hex(HEX_LENGTHS[name]).map(f"{name}:".__add__))


def references() -> st.SearchStrategy[str]:
    """Manifest references: a valid tag or a valid sha256 digest."""
    return st.one_of(tags(), valid_digests(("sha256",)))


def _tagged(strategy: st.SearchStrategy[str], reason: str) -> st.SearchStrategy[InvalidValue]:
    return strategy.map(lambda value: InvalidValue(value, reason))


def invalid_names() -> st.SearchStrategy[InvalidValue]:
    """Repository names outside the grammar (upper case, misplaced separators, empty components).

    Names that only exceed 255 characters are left out: the spec notes that many CLIENTS cap
    `host/name` at 255 characters, it does not require registries to refuse longer names.
    """
    upper = repository_names().flatmap(
        lambda name: st.integers(0, len(name) - 1).map(
            lambda at: name[:at] + name[at].upper() + name[at + 1 :]
        )
    ).filter(lambda name: not is_valid_name(name))
    separators = st.sampled_from(["-", ".", "_", "___", "._", ".."])
    edge_separator = st.tuples(repository_names(1), separators).flatmap(
        lambda parts: st.sampled_from(
            [parts[1] + parts[0], parts[0] + parts[1], parts[0] + parts[1] + parts[0]]
        )
    ).filter(lambda name: not is_valid_name(name) and not name.startswith("/"))
    return st.one_of(
        _tagged(upper, "upper case"),
        _tagged(edge_separator, "separator misplaced"),
        _tagged(spec_strategies.invalid_repository_names(), "outside the name grammar"),
    ).filter(lambda invalid: not invalid.value.endswith("/") and NAME_RE.match(invalid.value) is None)


def invalid_tags() -> st.SearchStrategy[InvalidValue]:
    """Tags outside the grammar: bad first character, characters not allowed, over 128 characters."""
    bad_start = st.tuples(st.sampled_from(".-"), tags()).map(lambda parts: (parts[0] + parts[1])[:128])
    bad_char = st.tuples(tags(), st.sampled_from("+=~!,")).map(lambda parts: parts[0][:100] + parts[1])
    too_long = st.integers(129, 160).map(lambda length: "t" * length)
    return st.one_of(
        _tagged(bad_start, "starts with '.' or '-'"),
        _tagged(bad_char, "character outside [a-zA-Z0-9._-]"),
        _tagged(too_long, "over 128 characters"),
        _tagged(spec_strategies.invalid_tags().filter(lambda tag: ":" not in tag), "outside the tag grammar"),
    ).filter(lambda invalid: not is_valid_tag(invalid.value))


def _wrong_lengths() -> st.SearchStrategy[InvalidValue]:
    def build(name: str) -> st.SearchStrategy[InvalidValue]:
        right = HEX_LENGTHS[name]
        lengths = st.integers(1, right * 2).filter(lambda length: length != right)
        return lengths.flatmap(_hex).map(
            lambda encoded: InvalidValue(f"{name}:{encoded}", f"{name} with {len(encoded)} hex characters")
        )

    return st.sampled_from(sorted(HEX_LENGTHS)).flatmap(build)


def _upper_case_hex() -> st.SearchStrategy[InvalidValue]:
    def build(name: str) -> st.SearchStrategy[InvalidValue]:
        length = HEX_LENGTHS[name]
        return st.tuples(_hex(length), st.integers(0, length - 1)).map(
            lambda parts: parts[0][: parts[1]] + "ABCDEF"[parts[1] % 6] + parts[0][parts[1] + 1 :]
        ).map(lambda encoded: InvalidValue(f"{name}:{encoded}", f"{name} with upper-case hex"))

    return st.sampled_from(sorted(HEX_LENGTHS)).flatmap(build)


def _non_hex() -> st.SearchStrategy[InvalidValue]:
    def build(name: str) -> st.SearchStrategy[InvalidValue]:
        length = HEX_LENGTHS[name]
        return st.tuples(_hex(length), st.integers(0, length - 1), st.sampled_from("gz_-=")).map(
            lambda parts: parts[0][: parts[1]] + parts[2] + parts[0][parts[1] + 1 :]
        ).map(lambda encoded: InvalidValue(f"{name}:{encoded}", f"{name} with a non-hex character"))

    return st.sampled_from(sorted(HEX_LENGTHS)).flatmap(build)


def invalid_digests() -> st.SearchStrategy[InvalidValue]:
    """Digests outside the grammar or a registered algorithm's encoding (every algorithm)."""
    grammar_misses = spec_strategies.invalid_digests().filter(lambda digest: ":" in digest)
    strategy = st.one_of(
        _wrong_lengths(),
        _upper_case_hex(),
        _non_hex(),
        _tagged(grammar_misses, "outside the digest grammar"),
    )
    return strategy.filter(lambda invalid: not is_valid_digest(invalid.value))


def unregistered_digests() -> st.SearchStrategy[str]:
    """Grammatical digests of algorithms outside the registry (`md5:...`): a registry may refuse them."""
    names = st.sampled_from(["md5", "sha1", "sha3-256", "sha256+b64u"])
    return st.tuples(names, _hex(40)).map(lambda parts: f"{parts[0]}:{parts[1]}").filter(
        lambda digest: digest.split(":", 1)[0] not in REGISTERED_ALGORITHMS
    )
