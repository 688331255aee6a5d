"""Grammar, digests, error table and envelope parsing, checked against examples from the specs."""

from __future__ import annotations

import hashlib
import io
import json

import pytest

from conformance.spec import grammar, media_types
from conformance.spec.digests import DigestHasher, digest_bytes, digest_stream
from conformance.spec.errors import (
    ERROR_CODES,
    MalformedEnvelopeError,
    error_codes_of,
    parse_error_envelope,
)


@pytest.mark.parametrize("name", grammar.VALID_NAMES)
def test_valid_names(name: str) -> None:
    assert grammar.is_valid_name(name)


@pytest.mark.parametrize(("reason", "name"), sorted(grammar.INVALID_NAMES.items()))
def test_invalid_names(reason: str, name: str) -> None:
    assert not grammar.is_valid_name(name), reason


def test_long_names_are_valid_and_the_client_cap_counts_the_host() -> None:
    name = "a" * 240
    assert grammar.is_valid_name(name) and grammar.is_valid_name("a" * 1000)
    assert grammar.within_client_length(name)
    assert not grammar.within_client_length(name, host="registry.example.com:5000")
    assert grammar.within_client_length("a" * 200, host="localhost:5000")
    assert not grammar.within_client_length("a" * 256)


def test_well_formed_references_are_tags_or_digests_of_any_algorithm() -> None:
    assert grammar.is_well_formed_reference("latest") and grammar.is_well_formed_reference("a:b")
    assert grammar.is_well_formed_reference(grammar.UNKNOWN_ALGORITHM_DIGESTS["unknown algorithm"])
    assert not grammar.is_well_formed_reference(grammar.INVALID_DIGESTS["sha256 too short"])
    assert not grammar.is_well_formed_reference(".hidden")


@pytest.mark.parametrize("tag", grammar.VALID_TAGS)
def test_valid_tags(tag: str) -> None:
    assert grammar.is_valid_tag(tag)


@pytest.mark.parametrize(("reason", "tag"), sorted(grammar.INVALID_TAGS.items()))
def test_invalid_tags(reason: str, tag: str) -> None:
    assert not grammar.is_valid_tag(tag), reason


def test_digests() -> None:
    sha256 = digest_bytes(b"abc")
    assert grammar.is_valid_digest(sha256) and grammar.is_registered_digest(sha256)
    assert grammar.is_registered_digest(digest_bytes(b"abc", "sha512"))
    assert grammar.is_registered_digest("blake3:" + "0" * 64)
    assert grammar.split_digest(sha256) == ("sha256", sha256[7:])
    for reason, digest in grammar.INVALID_DIGESTS.items():
        assert not grammar.is_valid_digest(digest), reason
    for reason, digest in grammar.UNKNOWN_ALGORITHM_DIGESTS.items():
        assert grammar.is_valid_digest(digest) and not grammar.is_registered_digest(digest), reason
    with pytest.raises(ValueError, match="not a digest"):
        grammar.split_digest("nope")
    assert grammar.is_digest_reference(sha256) and not grammar.is_digest_reference("latest")


def test_digest_computation_matches_hashlib_and_streams() -> None:
    data = b"registry-harness" * 1000
    assert digest_bytes(data) == "sha256:" + hashlib.sha256(data).hexdigest()
    assert digest_bytes(data, "sha512") == "sha512:" + hashlib.sha512(data).hexdigest()
    stream = io.BytesIO(data)
    assert digest_stream(iter(lambda: stream.read(333), b"")) == (digest_bytes(data), len(data))
    hasher = DigestHasher("sha512")
    hasher.update(data[:10])
    hasher.update(memoryview(data)[10:])
    assert hasher.digest == digest_bytes(data, "sha512") and hasher.size == len(data)
    with pytest.raises(ValueError, match="cannot compute"):
        digest_bytes(b"", "blake3")
    assert digest_bytes(b"{}") == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


def test_error_table_has_the_fourteen_spec_codes_plus_legacy() -> None:
    spec_codes = {c.code for c in ERROR_CODES.values() if not c.legacy}
    assert len(spec_codes) == 14
    assert {c.spec_id for c in ERROR_CODES.values() if not c.legacy} == {f"code-{i}" for i in range(1, 15)}
    assert ERROR_CODES["BLOB_UNKNOWN"].statuses[0] == 404
    assert ERROR_CODES["UNAUTHORIZED"].statuses == (401,)
    assert ERROR_CODES["TAG_INVALID"].legacy


def test_envelope_parsing() -> None:
    body = json.dumps(
        {"errors": [{"code": "BLOB_UNKNOWN", "message": "m", "detail": {"d": 1}}, {"code": "NOPE"}]}
    )
    entries = parse_error_envelope(body.encode())
    assert entries is not None
    assert [(e.code, e.message, e.detail, e.known) for e in entries] == [
        ("BLOB_UNKNOWN", "m", {"d": 1}, True),
        ("NOPE", None, None, False),
    ]
    assert parse_error_envelope(b"404 page not found\n") is None
    assert parse_error_envelope(b"") is None
    assert error_codes_of(body.encode()) == ["BLOB_UNKNOWN", "NOPE"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"error": "x"}, "'errors' is missing"),
        ({"errors": []}, "empty array"),
        ({"errors": [{"message": "m"}]}, "errors[0].code is missing"),
        ({"errors": [{"code": "BLOB_UNKNOWN", "message": 5}]}, "message is not a string"),
        ({"errors": ["BLOB_UNKNOWN"]}, "errors[0] is not an object"),
        (["errors"], "not an object"),
    ],
)
def test_malformed_envelopes_are_reported(body: object, problem: str) -> None:
    with pytest.raises(MalformedEnvelopeError) as caught:
        parse_error_envelope(json.dumps(body).encode())
    assert any(problem in p for p in caught.value.problems)
    assert error_codes_of(json.dumps(body).encode()) == []


def test_media_type_groups() -> None:
    assert media_types.OCI_MANIFEST in media_types.MANIFEST_TYPES
    assert media_types.DOCKER_FOREIGN_LAYER in media_types.NON_DISTRIBUTABLE_LAYER_TYPES
    assert set(media_types.INDEX_TYPES) | set(media_types.IMAGE_MANIFEST_TYPES) == set(
        media_types.MANIFEST_TYPES
    )
    assert media_types.OCI_EMPTY == "application/vnd.oci.empty.v1+json"
