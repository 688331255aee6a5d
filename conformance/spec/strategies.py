"""Hypothesis strategies for names, tags and digests, valid and invalid, built from `grammar`.

For property tests of a registry: valid values must be accepted, invalid ones refused (with
`NAME_INVALID`, `TAG_INVALID`/`MANIFEST_INVALID`, `DIGEST_INVALID` or a 4xx). Invalid values stay
inside URL-path-safe characters (`[A-Za-z0-9._-]`, `/` for names, `+`/`:` for tags and digests) so
they reach the registry's grammar check instead of changing the request's path structure.

Importing this module imports Hypothesis; the rest of `conformance.spec` does not.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.spec.grammar import (
    TAG_PATTERN,
    is_valid_digest,
    is_valid_name,
    is_valid_tag,
)

_ALNUM_RUN = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
_SEPARATOR = st.sampled_from([".", "_", "__", "-", "--", "---"])
_COMPONENT = st.tuples(_ALNUM_RUN, st.lists(st.tuples(_SEPARATOR, _ALNUM_RUN), max_size=3)).map(
    lambda parts: parts[0] + "".join(separator + run for separator, run in parts[1])
)
"""One name component, `NAME_COMPONENT` built piece by piece (faster than `from_regex`)."""


def repository_names(max_components: int = 4) -> st.SearchStrategy[str]:
    """Valid repository names: 1 to `max_components` slash-separated components."""
    return st.lists(_COMPONENT, min_size=1, max_size=max_components).map("/".join).filter(is_valid_name)


def tags() -> st.SearchStrategy[str]:
    """Valid tags (1 to 128 characters)."""
    return st.from_regex(rf"\A{TAG_PATTERN}\Z", fullmatch=True).filter(is_valid_tag)


def digests(algorithm: str = "sha256") -> st.SearchStrategy[str]:
    """Well-formed digests of random (almost surely absent) content: `sha256:<64 hex>` or sha512."""
    size = {"sha256": 32, "sha512": 64}[algorithm]
    return st.binary(min_size=size, max_size=size).map(lambda raw: f"{algorithm}:{raw.hex()}")


_NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/"
_TAG_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+:"
_DIGEST_ALPHABET = "abcdefABCDEF0123456789sh:+._-=gz"


def invalid_repository_names() -> st.SearchStrategy[str]:
    """Names outside the grammar (upper case, bad separators, empty components).

    Long names are not among them: the grammar has no length limit (a name over 255 characters is valid).
    """
    near_misses = st.text(_NAME_ALPHABET, min_size=1, max_size=60).filter(
        lambda n: not is_valid_name(n) and not n.startswith("/") and "//" not in n
    )
    upper = repository_names().map(lambda n: n[0].upper() + n[1:]).filter(lambda n: not is_valid_name(n))
    return st.one_of(near_misses, upper)


def invalid_tags() -> st.SearchStrategy[str]:
    """Tags outside the grammar (bad first character, illegal characters, over 128 characters)."""
    near_misses = st.text(_TAG_ALPHABET, min_size=1, max_size=140).filter(lambda t: not is_valid_tag(t))
    too_long = st.integers(129, 200).map(lambda length: "t" * length)
    return st.one_of(near_misses, too_long)


def invalid_digests() -> st.SearchStrategy[str]:
    """Strings outside the digest grammar or the registered encodings (wrong length, upper-case hex...)."""
    near_misses = st.text(_DIGEST_ALPHABET, min_size=1, max_size=80).filter(lambda d: not is_valid_digest(d))
    wrong_length = st.integers(1, 127).filter(lambda n: n != 64).map(lambda n: "sha256:" + "a" * n)
    upper_hex = (
        digests()
        .map(lambda d: d.upper().replace("SHA256:", "sha256:"))
        .filter(lambda d: d[7:] != d[7:].lower())
    )
    return st.one_of(near_misses, wrong_length, upper_hex)
