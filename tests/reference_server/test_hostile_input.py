"""Hostile input against the reference server: malformed digests, names, tags, manifests and upload
sessions each get a 4xx with the right OCI code, store nothing, and write nothing outside the data directory.

The target and its guards (sandbox of canary files, no traceback, server alive) are in hostile_target.py.
Where the spec leaves a choice, the accepted answers are listed per case (e.g. a tag that is not a
valid tag: `MANIFEST_INVALID` or the legacy `TAG_INVALID`). Requests the HTTP layer itself must refuse
(conflicting lengths, bytes not allowed in a request line) may be answered by a bare 400 or a close.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.reference_server.hostile_target import (  # noqa: F401 (fixtures)
    REPO,
    Target,
    check,
    nothing_escapes_fixture,
    refused_by_http_layer,
    sandbox_fixture,
    target_fixture,
)
from tests.support.hostile_cases import (
    BAD_NAMES,
    BAD_TAGS,
    GARBAGE_CONTENT_RANGES,
    HEX,
    INVALID_MANIFEST_CASES,
    MALFORMED_DIGESTS,
    invalid_manifests,
)
from tests.support.registry_http import (
    OCI_CONFIG,
    OCI_INDEX,
    OCI_MANIFEST,
    Answer,
    digest_of,
    image_manifest,
    push_blob,
    start_upload,
    upload_url,
)

# --- digests -------------------------------------------------------------------------------------




@pytest.mark.parametrize("digest", MALFORMED_DIGESTS)
@pytest.mark.parametrize("method, template", [
    ("GET", "/v2/{repo}/blobs/{digest}"), ("HEAD", "/v2/{repo}/blobs/{digest}"),
    ("DELETE", "/v2/{repo}/blobs/{digest}"), ("GET", "/v2/{repo}/manifests/{digest}"),
    ("DELETE", "/v2/{repo}/manifests/{digest}"), ("GET", "/v2/{repo}/referrers/{digest}"),
])
def test_malformed_digest_in_path_is_digest_invalid(
    target: Target, method: str, template: str, digest: str
) -> None:
    path = template.format(repo=REPO, digest=digest)
    response = target.raw(method, path)
    check(response.answer(method, path), {400}, {"DIGEST_INVALID"})


def test_unknown_but_grammatical_algorithm_is_not_a_server_error(target: Target) -> None:
    response = target.client.get(f"{target.url}/v2/{REPO}/blobs/blake9:{HEX}")
    check(Answer.of(response), {400, 404}, {"DIGEST_INVALID", "BLOB_UNKNOWN"})


@pytest.mark.parametrize("claimed", [*MALFORMED_DIGESTS, None, "wrong"])
def test_upload_with_bad_digest_parameter_stores_nothing(target: Target, claimed: str | None) -> None:
    body = b"hostile upload " + uuid.uuid4().bytes
    location = start_upload(target.client, target.url, REPO)
    if claimed == "wrong":
        claimed = digest_of(b"something else")
    url = upload_url(target.url, location, digest=claimed) if claimed is not None else location
    response = target.client.put(url, content=body)
    check(Answer.of(response), {400}, {"DIGEST_INVALID"})
    assert target.blob_status(digest_of(body)) == 404


def test_single_post_with_malformed_digest_is_rejected(target: Target) -> None:
    response = target.client.post(f"{target.url}/v2/{REPO}/blobs/uploads/?digest=sha256:zz", content=b"x")
    check(Answer.of(response), {400}, {"DIGEST_INVALID"})


# --- repository names ---------------------------------------------------------------------------




@pytest.mark.parametrize("name", BAD_NAMES, ids=lambda n: n.decode("latin-1"))
@pytest.mark.parametrize("method, suffix", [
    ("GET", b"/tags/list"), ("POST", b"/blobs/uploads/"), ("PUT", b"/manifests/latest"),
    ("HEAD", b"/blobs/sha256:" + HEX.encode()),
])
def test_invalid_repository_names_are_name_invalid(
    target: Target, name: bytes, method: str, suffix: bytes
) -> None:
    path = b"/v2/" + name + suffix
    body = target.manifest if method == "PUT" else b""
    headers = [("Content-Type", OCI_MANIFEST)] if method == "PUT" else []
    response = target.raw(method, path, headers, body)
    if b"\xc3" in name:  # raw non-ASCII in a request line: the HTTP layer may refuse it first
        refused_by_http_layer(response, method, path)
        return
    check(response.answer(method, path), {400}, {"NAME_INVALID"})


def test_percent_encoded_slash_never_escapes_the_name(target: Target) -> None:
    listed = target.raw("GET", f"/v2/{REPO.replace('/', '%2F')}/tags/list")
    if listed.status == 200:  # decoded once to the same, valid name
        assert json.loads(listed.body)["name"] == REPO
    else:
        check(listed.answer("GET", "%2F name"), {400}, {"NAME_INVALID"})
    response = target.raw("POST", "/v2/..%2F..%2Fpwned/blobs/uploads/")
    check(response.answer("POST", "..%2F"), {400}, {"NAME_INVALID"})


@pytest.mark.parametrize("length", [256, 1000, 6000])
def test_very_long_names_are_refused_or_served_without_error(target: Target, length: int) -> None:
    components = ["abcdefghijklmno"] * (length // 16) + ["p" * (length % 16 or 1)]
    long_name = "/".join(components)[:length].rstrip("/")
    single = "n" * length
    for name in (long_name, single):
        response = target.raw("POST", f"/v2/{name}/blobs/uploads/")
        answer = response.answer("POST", f"/v2/<{len(name)} chars>/blobs/uploads/")
        if response.status == 202:  # accepted: then it must work end to end
            pushed = push_blob(target.client, target.url, name, b"long name blob")
            assert target.client.get(f"{target.url}/v2/{name}/blobs/{pushed}").content == b"long name blob"
        elif response.status in (414, 431):
            pass
        else:
            check(answer, {400}, {"NAME_INVALID"})


# --- tags and manifests ---------------------------------------------------------------------------




@pytest.mark.parametrize("tag", BAD_TAGS, ids=lambda t: t.decode()[:20])
def test_invalid_tags_are_refused(target: Target, tag: bytes) -> None:
    path = f"/v2/{REPO}/manifests/".encode() + tag
    put = target.raw("PUT", path, [("Content-Type", OCI_MANIFEST)], target.manifest)
    check(put.answer("PUT", path), {400}, {"MANIFEST_INVALID", "TAG_INVALID"})
    got = target.raw("GET", path, [("Accept", OCI_MANIFEST)])
    check(got.answer("GET", path), {400, 404}, {"MANIFEST_INVALID", "TAG_INVALID", "MANIFEST_UNKNOWN"})


def _base_parts(target: Target) -> tuple[dict[str, object], dict[str, object]]:
    document = json.loads(target.manifest)
    return document["config"], document["layers"][0]


@pytest.mark.parametrize("case", INVALID_MANIFEST_CASES)
def test_invalid_manifests_are_manifest_invalid(target: Target, case: str) -> None:
    body, content_type = invalid_manifests(*_base_parts(target))[case]
    tag = f"invalid-{case}"
    response = target.client.put(f"{target.url}/v2/{REPO}/manifests/{tag}", content=body,
                                 headers={"Content-Type": content_type})
    check(Answer.of(response), {400}, {"MANIFEST_INVALID"})
    assert target.client.get(f"{target.url}/v2/{REPO}/manifests/{tag}",
                             headers={"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"}).status_code == 404


def test_malformed_digest_inside_a_manifest_is_refused(target: Target) -> None:
    config, layer = _base_parts(target)
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config,
                       "layers": [{**layer, "digest": "sha256:not-hex"}]}).encode()
    response = target.client.put(f"{target.url}/v2/{REPO}/manifests/bad-ref", content=body,
                                 headers={"Content-Type": OCI_MANIFEST})
    check(Answer.of(response), {400}, {"MANIFEST_INVALID", "DIGEST_INVALID"})


@pytest.mark.parametrize("streamed", [False, True])
def test_oversized_manifest_is_413(target: Target, streamed: bool) -> None:
    config, layer = _base_parts(target)
    padding = "p" * (16 << 20)
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer],
                       "annotations": {"padding": padding}}).encode()
    content: bytes | Iterator[bytes] = (body[i:i + (1 << 20)] for i in range(0, len(body), 1 << 20)) \
        if streamed else body
    try:
        response = target.client.put(f"{target.url}/v2/{REPO}/manifests/oversized", content=content,
                                     headers={"Content-Type": OCI_MANIFEST})
    except httpx.WriteError:
        pytest.fail("the server closed the connection instead of answering 413")
    check(Answer.of(response), {413}, {"SIZE_INVALID", "MANIFEST_INVALID"})
    assert target.client.get(f"{target.url}/v2/{REPO}/manifests/oversized",
                             headers={"Accept": OCI_MANIFEST}).status_code == 404


def test_manifest_referencing_missing_blobs_is_manifest_blob_unknown(target: Target) -> None:
    config, layer = _base_parts(target)
    missing = {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest_of(uuid.uuid4().bytes),
               "size": 16}
    cases = {
        "missing-layer": ({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config,
                           "layers": [layer, missing]}, OCI_MANIFEST),
        "missing-config": ({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                            "config": {**missing, "mediaType": OCI_CONFIG}, "layers": [layer]}, OCI_MANIFEST),
        "missing-child": ({"schemaVersion": 2, "mediaType": OCI_INDEX,
                           "manifests": [{**missing, "mediaType": OCI_MANIFEST}]}, OCI_INDEX),
    }
    for tag, (document, content_type) in cases.items():
        response = target.client.put(f"{target.url}/v2/{REPO}/manifests/{tag}", content=json.dumps(document),
                                     headers={"Content-Type": content_type})
        check(Answer.of(response), {400}, {"MANIFEST_BLOB_UNKNOWN"})
    # A missing subject must NOT be a reason to refuse (spec: MUST NOT reject for a missing subject).
    with_subject = image_manifest(b"", [], subject={**missing, "mediaType": OCI_MANIFEST})
    document = json.loads(with_subject)
    document.update(config=config, layers=[layer])
    response = target.client.put(f"{target.url}/v2/{REPO}/manifests/with-subject",
                                 content=json.dumps(document), headers={"Content-Type": OCI_MANIFEST})
    assert response.status_code == 201, Answer.of(response)


def test_manifest_pushed_by_a_digest_that_does_not_match_is_refused(target: Target) -> None:
    response = target.client.put(f"{target.url}/v2/{REPO}/manifests/{digest_of(b'other')}",
                                 content=target.manifest, headers={"Content-Type": OCI_MANIFEST})
    check(Answer.of(response), {400}, {"DIGEST_INVALID", "MANIFEST_INVALID"})


# --- upload sessions and lengths ----------------------------------------------------------------


def test_wrong_content_length_declaring_more_than_sent_stores_nothing(target: Target) -> None:
    intended = b"more-than-sent " + uuid.uuid4().bytes * 64
    location = start_upload(target.client, target.url, REPO)
    url = upload_url(target.url, location, digest=digest_of(intended))
    path = url.split(target.registry.host, 1)[1]
    sent = intended[: len(intended) // 2]
    response = target.raw("PUT", path, body=sent, content_length=len(intended), half_close=True)
    assert response.status == 0 or 400 <= response.status < 500, response.answer("PUT", path)
    assert target.blob_status(digest_of(intended)) == 404
    assert target.blob_status(digest_of(sent)) == 404


def test_wrong_content_length_declaring_less_than_sent_stores_nothing(target: Target) -> None:
    body = b"less-than-sent " + uuid.uuid4().bytes
    location = start_upload(target.client, target.url, REPO)
    url = upload_url(target.url, location, digest=digest_of(body))
    path = url.split(target.registry.host, 1)[1]
    response = target.raw("PUT", path, body=body, content_length=10)
    check(response.answer("PUT", path), {400}, {"DIGEST_INVALID", "SIZE_INVALID"})
    assert target.blob_status(digest_of(body)) == 404
    assert target.blob_status(digest_of(body[:10])) == 404


def test_truncated_patch_never_completes_a_blob(target: Target) -> None:
    intended = b"truncated patch " + uuid.uuid4().bytes * 256
    location = start_upload(target.client, target.url, REPO)
    path = location.split(target.registry.host, 1)[1]
    response = target.raw("PATCH", path, [("Content-Type", "application/octet-stream")],
                          intended[:1000], content_length=len(intended), half_close=True)
    assert response.status == 0 or 400 <= response.status < 500, response.answer("PATCH", path)
    closing = target.client.put(upload_url(target.url, location, digest=digest_of(intended)))
    check(Answer.of(closing), {400, 404, 416},
          {"DIGEST_INVALID", "BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID", "SIZE_INVALID"})
    assert target.blob_status(digest_of(intended)) == 404


@pytest.mark.parametrize("headers", [
    [("Content-Length", "abc")], [("Content-Length", "-5")],
    [("Content-Length", "5"), ("Content-Length", "7")],
    [("Content-Length", "5"), ("Transfer-Encoding", "chunked")], [("Transfer-Encoding", "gzip")],
    [("Content-Length", "99999999999999999999999999")],
], ids=["letters", "negative", "two-lengths", "length-and-chunked", "unknown-coding", "huge"])
def test_malformed_framing_is_refused(target: Target, headers: list[tuple[str, str]]) -> None:
    location = start_upload(target.client, target.url, REPO)
    path = upload_url(target.url, location, digest=digest_of(b"hello")).split(target.registry.host, 1)[1]
    response = target.raw("PUT", path, headers, b"hello", half_close=True)
    refused_by_http_layer(response, "PUT", path)
    assert target.blob_status(digest_of(b"hello")) == 404


@pytest.mark.parametrize("content_range", GARBAGE_CONTENT_RANGES)
def test_garbage_content_range_is_refused(target: Target, content_range: str) -> None:
    body = b"0123456789"
    location = start_upload(target.client, target.url, REPO)
    response = target.client.patch(location, content=body, headers={
        "Content-Range": content_range, "Content-Type": "application/octet-stream"})
    check(Answer.of(response), {400, 416}, {"BLOB_UPLOAD_INVALID", "SIZE_INVALID"})
    status = target.client.get(location)
    if status.status_code == 204:  # the session survived: nothing of the refused chunk was kept
        assert status.headers.get("Range") in (None, "0-0", "bytes=0-0", "0--1"), status.headers
    else:
        check(Answer.of(status), {404}, {"BLOB_UPLOAD_UNKNOWN"})


@pytest.mark.parametrize("session", [str(uuid.uuid4()), "n" * 300, "..%2F..%2Fpwned", "%2e%2e", "pwned%00"])
@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
def test_unknown_upload_sessions_are_blob_upload_unknown(target: Target, session: str, method: str) -> None:
    path = f"/v2/{REPO}/blobs/uploads/{session}"
    if method == "PUT":
        path += f"?digest={digest_of(b'x')}"
    response = target.raw(method, path, body=b"x" if method in ("PATCH", "PUT") else b"")
    check(response.answer(method, path), {404, 400}, {"BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID"})


def test_session_cannot_be_used_from_another_repository(target: Target) -> None:
    location = start_upload(target.client, target.url, REPO)
    foreign = location.replace(f"/v2/{REPO}/", "/v2/hostile/other/")
    response = target.client.patch(foreign, content=b"data",
                                   headers={"Content-Type": "application/octet-stream"})
    check(Answer.of(response), {404}, {"BLOB_UPLOAD_UNKNOWN"})


@pytest.mark.parametrize("query", ["from=../../pwned", "from=Upper", "from=hostile%2F..%2F..%2Fpwned"])
def test_hostile_mount_source_is_not_followed(target: Target, query: str) -> None:
    digest = next(iter(target.blobs))
    path = f"/v2/hostile/mounted/blobs/uploads/?mount={digest}&{query}"
    response = target.raw("POST", path)
    if response.status == 202:  # allowed fallback: a plain upload session instead of a mount
        return
    check(response.answer("POST", path), {400}, {"NAME_INVALID"})
