"""Hostile requests against the reference server: bad pagination, huge or non-UTF-8 headers and request
lines, garbage `Range` on blob GETs, and Hypothesis-fuzzed paths and PATCH headers: never a 5xx, the right
code where a code is due, and nothing written outside the data directory (guards in hostile_target.py).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.reference_server.hostile_target import (  # noqa: F401 (fixtures)
    REPO,
    Target,
    check,
    nothing_escapes_fixture,
    sandbox_fixture,
    target_fixture,
)
from tests.support.hostile_cases import (
    HEADER_TEXT,
    PAGINATION_CODES,
    PATH_SEGMENT,
)
from tests.support.registry_http import (
    OCI_MANIFEST,
    start_upload,
)

# --- pagination, headers, encodings -------------------------------------------------------------


@pytest.mark.parametrize("query", ["n=abc", "n=-1", "n=1.5", "n=%00", "n=", "n=0x10"])
@pytest.mark.parametrize("endpoint", [f"/v2/{REPO}/tags/list", "/v2/_catalog"])
def test_bad_page_size_is_refused(target: Target, endpoint: str, query: str) -> None:
    response = target.raw("GET", f"{endpoint}?{query}")
    if query == "n=" and response.status == 200:  # an empty n may mean "no limit"
        return
    check(response.answer("GET", f"{endpoint}?{query}"), {400}, PAGINATION_CODES)





@pytest.mark.parametrize("query", [
    b"n=99999999999999999999999", b"n=0", b"last=\xff\xfe", b"last=%ff", b"n=2&n=x",
])
def test_odd_pagination_is_answered_without_error(target: Target, query: bytes) -> None:
    path = f"/v2/{REPO}/tags/list?".encode() + query
    response = target.raw("GET", path)
    if response.status == 200:
        assert json.loads(response.body)["name"] == REPO
    elif b"\xff" in query and response.status in (0, 400) and not response.error_codes():
        pass  # raw non-ASCII in the request line: refused by the HTTP layer
    else:
        check(response.answer("GET", path), {400}, PAGINATION_CODES)


@pytest.mark.parametrize("shape", ["one-100KiB-header", "500-headers", "one-1MiB-header"])
def test_huge_headers_are_refused_or_ignored(target: Target, shape: str) -> None:
    if shape == "500-headers":
        headers = [(f"X-Filler-{i}", "f" * 100) for i in range(500)]
    else:
        headers = [("X-Filler", "f" * ((100 << 10) if shape.startswith("one-100") else (1 << 20)))]
    path = f"/v2/{REPO}/manifests/base"
    response = target.raw("GET", path, [("Accept", OCI_MANIFEST), *headers])
    answer = response.answer("GET", path)
    assert response.status in (0, 200, 400, 413, 431), f"unexpected answer: {answer}"
    if response.status == 200:
        assert response.body == target.manifest


@pytest.mark.parametrize("path", [
    b"/v2/\xff\xfe/tags/list", b"/v2/hostile/base/manifests/\xc3\x28", b"/v2/hostile/base/blobs/sha256:\xff",
    b"/v2/hostile/base/blobs/uploads/?digest=sha256:\xff", b"/v2/%c3%28/tags/list",
])
def test_invalid_utf8_in_the_request_line_is_refused(target: Target, path: bytes) -> None:
    method = "POST" if b"uploads" in path else "GET"
    response = target.raw(method, path)
    assert response.status == 0 or 400 <= response.status < 500, response.answer(method, path)
    codes = set(response.error_codes())
    assert codes <= {"NAME_INVALID", "MANIFEST_INVALID", "TAG_INVALID", "DIGEST_INVALID", "MANIFEST_UNKNOWN"}


def test_invalid_utf8_in_headers_is_refused(target: Target) -> None:
    path = f"/v2/{REPO}/manifests/utf8-header"
    content_type = b"application/\xff\xfe".decode("latin-1")  # sent as the raw bytes 0xff 0xfe
    response = target.raw("PUT", path, [("Content-Type", content_type)], target.manifest)
    check(response.answer("PUT", path), {400}, {"MANIFEST_INVALID"})


# --- fuzzing -------------------------------------------------------------------------------------




@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE"]),
       segments=st.lists(PATH_SEGMENT, min_size=1, max_size=7))
def test_fuzzed_paths_never_cause_a_server_error(target: Target, method: str, segments: list[str]) -> None:
    path = "/v2/" + "/".join(segments)
    assume(not (method == "DELETE" and path.endswith(f"{REPO}/manifests/base")))  # other tests rely on it
    headers = [("Content-Type", OCI_MANIFEST)] if method == "PUT" else []
    response = target.raw(method, path.encode(), headers, target.manifest if method == "PUT" else b"")
    assert response.status == 0 or response.status < 500, response.answer(method, path)
    if response.status in (200, 201, 202):
        answer = response.answer(method, path)
        assert "pwned" not in path or method in ("GET", "HEAD"), f"accepted a write: {answer}"





@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content_range=HEADER_TEXT, content_type=HEADER_TEXT, body=st.binary(max_size=64))
def test_fuzzed_patch_headers_never_cause_a_server_error(
    target: Target, content_range: str, content_type: str, body: bytes
) -> None:
    location = start_upload(target.client, target.url, REPO)
    path = location.split(target.registry.host, 1)[1]
    headers = [("Content-Range", content_range), ("Content-Type", content_type)]
    response = target.raw("PATCH", path, headers, body)
    assert response.status == 0 or response.status < 500, response.answer("PATCH", path)
    target.client.delete(location)


@pytest.mark.parametrize("value", [
    "bytes=abc", "bytes=5-1", "bytes=0-0,2-3", "bytes=-0", "bytes=99999999999999999999999-",
    "bytes=0-99999999999999999999999", "items=0-1", "bytes=--1", "bytes=1-", "bytes=-3", "bytes=0-0",
])
def test_garbage_range_on_blob_get_is_served_correctly_or_refused(target: Target, value: str) -> None:
    digest, data = next(iter(target.blobs.items()))
    path = f"/v2/{REPO}/blobs/{digest}"
    response = target.raw("GET", path, [("Range", value)])
    answer = response.answer("GET", f"{path} Range: {value}")
    assert response.status in (200, 206, 416), f"unexpected answer: {answer}"
    if response.status == 200:
        assert response.body == data, f"a 200 must carry the whole blob: {answer}"
    elif response.status == 206:
        unit, _, spec = (response.header("content-range") or "").partition(" ")
        span, _, total = spec.partition("/")
        first, _, last = span.partition("-")
        assert unit == "bytes" and total in (str(len(data)), "*"), f"bad Content-Range: {answer}"
        expected = data[int(first):int(last) + 1]
        assert response.body == expected, f"206 body does not match Content-Range: {answer}"
    else:
        assert set(response.error_codes()) <= {"SIZE_INVALID", "BLOB_UPLOAD_INVALID"}, str(answer)
