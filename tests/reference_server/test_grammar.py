"""Name, tag, digest and session-id grammar of the reference server."""

from __future__ import annotations

import pytest

from reference_server.grammar import (
    Digest,
    GrammarError,
    is_grammatical_digest,
    parse_algorithm,
    parse_digest,
    parse_name,
    parse_tag,
    parse_upload_id,
)

HEX64 = "a" * 64
HEX128 = "b" * 128


@pytest.mark.parametrize(
    "name",
    ["a", "library/ubuntu", "org/image-name/release", "a.b_c__d---e", "x" * 255, "a0/b1/c2/d3", "foo--bar"],
)
def test_valid_names(name: str) -> None:
    assert parse_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "A",
        "Foo/bar",
        "a/",
        "/a",
        "a//b",
        "-a",
        "a-",
        "a..b",
        "a___b",
        ".",
        "..",
        "a/../b",
        "a/./b",
        "a b",
        "a%2Fb",
        "a:b",
        "a" * 256,
        "a/" * 127 + "bb",
        "_a",
        "a/_layers",
    ],
)
def test_invalid_names(name: str) -> None:
    with pytest.raises(GrammarError):
        parse_name(name)


@pytest.mark.parametrize("tag", ["latest", "v1.0", "_x", "A-b_c.d", "0", "a" * 128])
def test_valid_tags(tag: str) -> None:
    assert parse_tag(tag) == tag


@pytest.mark.parametrize("tag", ["", ".hidden", "-x", "a" * 129, "a/b", "a:b", "a b", "..", "tag\n"])
def test_invalid_tags(tag: str) -> None:
    with pytest.raises(GrammarError):
        parse_tag(tag)


def test_supported_digests_parse() -> None:
    assert parse_digest(f"sha256:{HEX64}") == Digest("sha256", HEX64)
    assert str(parse_digest(f"sha512:{HEX128}")) == f"sha512:{HEX128}"


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:" + "A" * 64,  # upper-case hex
        "sha256:" + "a" * 63,  # wrong length
        "sha256:" + "a" * 128,
        "sha512:" + "a" * 64,
        "md5:" + "a" * 32,  # unknown algorithm
        "sha256",
        "sha256:",
        ":" + HEX64,
        "SHA256:" + HEX64,
        "sha256:" + "g" * 64,
        "sha256:baddigeststring",
        f"sha256:{HEX64}\n",
    ],
)
def test_malformed_or_unsupported_digests(digest: str) -> None:
    with pytest.raises(GrammarError):
        parse_digest(digest)


def test_grammatical_but_unknown_algorithm() -> None:
    assert is_grammatical_digest("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8")
    assert not is_grammatical_digest("Sha256:abc")
    assert not is_grammatical_digest("sha256:abc!")


def test_algorithm_and_upload_id() -> None:
    assert parse_algorithm("sha512") == "sha512"
    with pytest.raises(GrammarError):
        parse_algorithm("blake3")
    assert parse_upload_id("0" * 32) == "0" * 32
    for bad in ["", "../../etc", "0" * 31, "G" * 32, "0" * 33]:
        with pytest.raises(GrammarError):
            parse_upload_id(bad)
