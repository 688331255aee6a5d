"""Transcript rendering, previews and redaction; Location resolution; Link header parsing."""

from __future__ import annotations

import json

import pytest

from conformance.client import (
    Transcript,
    TranscriptEntry,
    append_query,
    next_link,
    parse_link_header,
    resolve_location,
)
from conformance.client.links import LinkHeaderError
from conformance.client.redaction import redact_body, redact_header, redact_url
from conformance.client.transcript import PREVIEW_LIMIT, preview_body


def test_authorization_and_cookies_are_redacted_keeping_the_scheme() -> None:
    assert redact_header("Authorization", "Bearer abc.def.ghi") == "Bearer <redacted>"
    assert redact_header("authorization", "Basic dTpw") == "Basic <redacted>"
    assert redact_header("Set-Cookie", "session=1") == "<redacted>"
    assert redact_header("Location", "/v2/x?_state=abc") == "/v2/x?_state=abc"
    assert redact_url("https://user:pw@host/v2/?_state=s") == "https://user:<redacted>@host/v2/?_state=s"


def test_token_values_in_json_bodies_are_redacted() -> None:
    body = json.dumps({"token": "t1", "access_token": "t2", "refresh_token": "r", "expires_in": 60}).encode()
    redacted = json.loads(redact_body(body))
    assert redacted == {
        "token": "<redacted>",
        "access_token": "<redacted>",
        "refresh_token": "<redacted>",
        "expires_in": 60,
    }
    assert redact_body(b'{"errors":[]}') == b'{"errors":[]}'
    assert redact_body(b"plain token text") == b"plain token text"


def test_previews_truncate_text_and_summarise_binary() -> None:
    assert preview_body(b"") == ""
    assert preview_body(b'{"a":1}') == '{"a":1}'
    long_text = b"x" * (PREVIEW_LIMIT + 100)
    preview = preview_body(long_text)
    assert (
        preview.startswith("x" * PREVIEW_LIMIT) and f"{PREVIEW_LIMIT + 100} bytes total, 100 more" in preview
    )
    assert preview_body(bytes(range(256)) * 10) == "<2560 bytes binary>"
    assert preview_body(b"\x1f\x8b\x08\x00rest") == "<8 bytes binary>"
    assert preview_body(b"abc", total_size=10_000) == "abc... <10000 bytes total, 9997 more>"
    assert preview_body(("é" * PREVIEW_LIMIT).encode()).startswith("é")  # multi-byte cut at the limit


def test_entries_render_and_serialise_redacted() -> None:
    transcript = Transcript()
    entry = transcript.add(
        TranscriptEntry.start("GET", "http://r/v2/", [("Authorization", "Bearer secret")], "")
    )
    entry.record_response(401, [("WWW-Authenticate", 'Bearer realm="x"')])
    entry.response_body = '{"errors":[{"code":"UNAUTHORIZED"}]}'
    entry.elapsed = 0.012
    failed = transcript.add(TranscriptEntry.start("GET", "http://r/v2/", [], ""))
    failed.error = "timeout: no complete answer within 1 s"
    text = transcript.render()
    assert "> GET http://r/v2/" in text and "> Authorization: Bearer <redacted>" in text
    assert "< 401  (12 ms)" in text and "UNAUTHORIZED" in text and "! timeout" in text
    assert "secret" not in text and "secret" not in json.dumps(transcript.to_dicts())
    assert transcript.to_dicts()[0]["status"] == 401 and transcript.last is failed


def test_transcript_keeps_the_last_entries_and_counts_dropped_ones() -> None:
    transcript = Transcript(max_entries=3)
    for index in range(5):
        transcript.add(TranscriptEntry.start("GET", f"http://r/{index}", [], ""))
    assert [e.url for e in transcript.entries] == ["http://r/2", "http://r/3", "http://r/4"]
    assert transcript.render().startswith("(2 earlier exchanges not shown)")
    assert transcript.render(last=1).startswith("(4 earlier exchanges not shown)")


@pytest.mark.parametrize(
    ("request_url", "location", "expected"),
    [
        (
            "http://h:5000/v2/r/blobs/uploads/",
            "/v2/r/blobs/uploads/u?_state=a%3D%3D",
            "http://h:5000/v2/r/blobs/uploads/u?_state=a%3D%3D",
        ),
        ("http://h/v2/r/blobs/uploads/", "u1?x=%2F", "http://h/v2/r/blobs/uploads/u1?x=%2F"),
        ("http://h/v2/r/blobs/uploads/", "https://other/up?sig=a+b", "https://other/up?sig=a+b"),
        ("https://h/v2/r/", "//cdn.test/b", "https://cdn.test/b"),
    ],
)
def test_locations_resolve_and_keep_queries_verbatim(request_url: str, location: str, expected: str) -> None:
    assert resolve_location(request_url, location) == expected


def test_append_query_uses_the_right_separator_without_reencoding() -> None:
    digest = "sha256:" + "a" * 64
    assert (
        append_query("http://h/u?_state=a%3D%3D", "digest", digest)
        == f"http://h/u?_state=a%3D%3D&digest={digest}"
    )
    assert append_query("http://h/u", "digest", digest) == f"http://h/u?digest={digest}"
    assert append_query("http://h/u?", "n", "1") == "http://h/u?n=1"
    assert append_query("http://h/u", "artifactType", "a/b+c d") == "http://h/u?artifactType=a/b%2Bc%20d"


def test_link_headers_parse_per_rfc_8288() -> None:
    [link] = parse_link_header('</v2/_catalog?last=b&n=2>; rel="next"')
    assert link.target == "/v2/_catalog?last=b&n=2" and link.rels == ("next",)
    links = parse_link_header('<http://a/x?y=1,2>;rel=prev, <http://a/z;q>; title="a, b; c"; REL="next last"')
    assert [link.target for link in links] == ["http://a/x?y=1,2", "http://a/z;q"]
    assert links[1].params["title"] == "a, b; c" and links[1].rels == ("next", "last")
    assert next_link(
        ['<http://a/x>; rel="prev"', '</v2/r/tags/list?n=1&last=t>; rel="next"'], "http://reg/v2/r/tags/list"
    ) == ("http://reg/v2/r/tags/list?n=1&last=t")
    assert next_link([], "http://reg/") is None
    with pytest.raises(LinkHeaderError):
        parse_link_header('/no/brackets; rel="next"')
