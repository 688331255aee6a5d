"""The Hypothesis strategies produce exactly what their names promise."""

from __future__ import annotations

from hypothesis import given, settings

from conformance.spec import grammar, strategies

FAST = settings(max_examples=60, deadline=None)


@FAST
@given(strategies.repository_names())
def test_repository_names_are_valid(name: str) -> None:
    assert grammar.is_valid_name(name)


@FAST
@given(strategies.invalid_repository_names())
def test_invalid_repository_names_are_invalid_and_path_safe(name: str) -> None:
    assert not grammar.is_valid_name(name)
    assert not name.startswith("/") and "?" not in name and "#" not in name


@FAST
@given(strategies.tags())
def test_tags_are_valid(tag: str) -> None:
    assert grammar.is_valid_tag(tag) and len(tag) <= 128


@FAST
@given(strategies.invalid_tags())
def test_invalid_tags_are_invalid(tag: str) -> None:
    assert not grammar.is_valid_tag(tag) and "/" not in tag


@FAST
@given(strategies.digests(), strategies.digests("sha512"))
def test_digests_are_registered(sha256: str, sha512: str) -> None:
    assert grammar.is_registered_digest(sha256) and sha256.startswith("sha256:")
    assert grammar.is_registered_digest(sha512) and len(sha512) == len("sha512:") + 128


@FAST
@given(strategies.invalid_digests())
def test_invalid_digests_are_invalid(digest: str) -> None:
    assert not grammar.is_valid_digest(digest)
