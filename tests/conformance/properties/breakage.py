"""Registry variants broken in ONE small way, to prove the property checks shrink to a minimal example.

Faults for the fault-injecting proxy of `tests/conformance/broken/proxy.py` (imported, not copied):

    CorruptOneByteChunk   a PATCH whose body is exactly 1 byte reaches the registry with that byte flipped
    DropLastTagOfPage     tags/list?n=<n>=3 or more> loses the last tag of its page
    TagDeleteIgnored      DELETE of a tag answers 202 but deletes nothing

Each breaks a rule only on a narrow set of inputs, so the minimal failing example is known in advance:
a chunk plan `[1]` with an empty closing PUT; one tag with `n=3`; push a manifest by tag, delete the tag.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from tests.conformance.broken.proxy import Exchange, Fault

UPLOAD = re.compile(r"^/v2/.+/blobs/uploads/")
TAGS = re.compile(r"^/v2/.+/tags/list$")
MANIFEST_BY_TAG = re.compile(r"^/v2/.+/manifests/[^/:]+$")


class CorruptOneByteChunk(Fault):
    """Flip the byte of every 1-byte PATCH chunk before the registry stores it."""

    name = "corrupt-one-byte-chunk"

    def on_request(self, exchange: Exchange) -> None:
        if exchange.method == "PATCH" and UPLOAD.match(exchange.path) and len(exchange.request_body) == 1:
            exchange.request_body = bytes([exchange.request_body[0] ^ 0xFF])


class DropLastTagOfPage(Fault):
    """Drop the last tag of a tags/list page when `n` is 3 or more."""

    name = "drop-last-tag-of-page"

    def on_response(self, exchange: Exchange) -> None:
        if exchange.method != "GET" or exchange.status != 200 or not TAGS.match(exchange.path):
            return
        n = dict(parse_qsl(exchange.query)).get("n", "")
        if not n.isdigit() or int(n) < 3:
            return
        document = json.loads(exchange.body)
        if document.get("tags"):
            document["tags"] = document["tags"][:-1]
            exchange.body = json.dumps(document).encode()


class TagDeleteIgnored(Fault):
    """Answer DELETE of a tag with 202 without deleting anything."""

    name = "tag-delete-ignored"

    def on_request(self, exchange: Exchange) -> None:
        if exchange.method == "DELETE" and MANIFEST_BY_TAG.match(exchange.path):
            exchange.answer(202, b"", [("Content-Length", "0")])
