"""The catalogue of hostile inputs the reference server's hostile-input tests send.

Malformed digests, repository names and tags (as raw request-line bytes, so `..` and percent escapes
reach the server untouched), manifest bodies that must be refused as `MANIFEST_INVALID` (built on
blobs that exist, so a missing blob can never be the reason), garbage `Content-Range` values, and the
Hypothesis strategies used to fuzz paths and headers. Names meant to escape the data directory
contain `pwned`, so a test can look for that word on disk.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

from tests.support.registry_http import OCI_CONFIG, OCI_INDEX, OCI_MANIFEST

HEX = "a" * 64

MALFORMED_DIGESTS = [
    "sha256:zzz", f"sha256:{HEX[:63]}", f"sha256:{HEX.upper()}", "sha256:", f":{HEX}", f"sha512:{HEX}",
    f"sha256:{HEX}0", "sha256:" + "g" * 64,
]

BAD_NAMES = [
    b"a/../pwned", b"../../../../pwned", b"%2e%2e/%2e%2e/pwned", b"a/%2E%2E/pwned", b"a/./pwned", b".",
    b"Upper/Pwned", b"pwned%00x", b"-pwned", b"pwned-", b"a//pwned", b"pwned___x", b"pwned..x",
    b"%ff%fepwned", b"a/%2e%2e%2f%2e%2e%2fpwned", b"pwned%252Fx", b"pwned/", b"a:b/pwned", b"pwned\xc3\xa9",
]

BAD_TAGS = [
    b"-lead", b"t" * 129, b".hidden", b"..", b"%2e%2e", b"..%2F..%2Fpwned", b"tag%00x", b"%ff", b"t%20t",
    b"t%2Fpwned",
]

GARBAGE_CONTENT_RANGES = [
    "abc", "9-0", "0-", "-5", "0-999999999999999999999999", "0-4", "10-19", "0x0-0x9", "0-9-9", "1-10",
]

# Codes a refusal by the HTTP layer may carry if it sends an envelope at all.
REFUSAL_CODES = frozenset({
    "NAME_INVALID", "DIGEST_INVALID", "MANIFEST_INVALID", "TAG_INVALID", "SIZE_INVALID",
    "BLOB_UPLOAD_INVALID",
})

# No OCI code names "bad page size"; any table code on a 400 is accepted (distribution's own code,
# PAGINATION_NUMBER_INVALID, is outside the table).
PAGINATION_CODES = frozenset({
    "UNSUPPORTED", "NAME_INVALID", "SIZE_INVALID", "BLOB_UPLOAD_INVALID", "MANIFEST_INVALID",
    "DIGEST_INVALID", "TAG_INVALID",
})


def invalid_manifests(config: dict[str, object], layer: dict[str, object]) -> dict[str, tuple[bytes, str]]:
    """Case name -> (body, Content-Type) of manifests that must be refused with `MANIFEST_INVALID`."""

    def doc(**fields: object) -> bytes:
        document = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer]}
        return json.dumps({**document, **fields}).encode()

    def extended(tail: bytes) -> bytes:
        return doc()[:-1] + b"," + tail + b"}"

    no_config = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "layers": [layer]}
    bad_index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": 7}
    return {
        "not-json": (b"{not json", OCI_MANIFEST),
        "empty": (b"", OCI_MANIFEST),
        "null": (b"null", OCI_MANIFEST),
        "array": (b"[]", OCI_MANIFEST),
        "string": (b'"manifest"', OCI_MANIFEST),
        "bad-utf8": (extended(b'"annotations":{"a":"\xff\xfe"}'), OCI_MANIFEST),
        "schema-1": (doc(schemaVersion=1), OCI_MANIFEST),
        "schema-str": (doc(schemaVersion="2"), OCI_MANIFEST),
        "no-config": (json.dumps(no_config).encode(), OCI_MANIFEST),
        "layers-object": (doc(layers={"0": layer}), OCI_MANIFEST),
        "config-no-digest": (doc(config={"mediaType": OCI_CONFIG, "size": 2}), OCI_MANIFEST),
        "negative-size": (doc(config={**config, "size": -1}), OCI_MANIFEST),
        "size-string": (doc(config={**config, "size": "12"}), OCI_MANIFEST),
        "type-mismatch": (doc(), OCI_INDEX),
        "deep-nesting": (extended(b'"annotations":' + b"[" * 200_000 + b"]" * 200_000), OCI_MANIFEST),
        "huge-number": (extended(b'"x":' + b"9" * 100_000), OCI_MANIFEST),
        "nan": (extended(b'"x":NaN'), OCI_MANIFEST),
        "infinity": (extended(b'"x":-Infinity'), OCI_MANIFEST),
        "index-entries-not-list": (json.dumps(bad_index).encode(), OCI_INDEX),
    }


INVALID_MANIFEST_CASES = list(invalid_manifests({}, {}))

PATH_SEGMENT = st.one_of(
    st.sampled_from([
        "..", ".", "%2e%2e", "%2F", "%00", "%ff", "hostile", "base", "blobs", "uploads", "manifests", "tags",
        "list", "referrers", "_catalog", "sha256:" + HEX, "pwned", "A", "-", "__", "~",
    ]),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="?#"), max_size=12),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs")), max_size=6).map(
        lambda text: "".join(f"%{byte:02X}" for byte in text.encode())
    ),
)

HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40
).map(str.strip)
